// Regenerates screenshots/desktop.png, phone.png and offline.png from a live demo server:
//   node --conditions=volley-source --import tsx examples/chat/screenshots/take.ts
import { fileURLToPath } from "node:url";
import { buildPage } from "../src/server/build-page.js";
import { startChatServer } from "../src/server/chat-server.js";
import { launchChromium } from "../test/helpers/browser.js";
import { ChatPage } from "../test/helpers/chat-page.js";

const here = fileURLToPath(new URL(".", import.meta.url));
await buildPage();
const server = await startChatServer({ port: 0, host: "127.0.0.1", log: () => undefined });
const browser = await launchChromium();
let serverOpen = true;
try {
  const desktop = await browser.newContext({ viewport: { width: 1000, height: 620 } });
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
  const carolContext = await browser.newContext();
  const alice = await new ChatPage(await desktop.newPage()).open(server.port, "alice");
  const bob = await new ChatPage(await phone.newPage()).open(server.port, "bob");
  const carol = await new ChatPage(await carolContext.newPage()).open(server.port, "carol");
  await alice.waitForOnline(["alice", "bob", "carol"]);
  await bob.waitForTransport("websocket");

  await alice.send("Morning! The demo runs on Volley now.");
  await bob.waitForReceived("Morning!", "alice");
  await bob.send("Nice. I'm on the phone layout.");
  await alice.waitForReceived("phone layout", "bob");
  await carol.send("Try stopping the server: messages wait in the outbox.");
  await alice.waitForReceived("outbox", "carol");
  await bob.waitForReceived("outbox", "carol");
  await alice.send("And each one turns delivered when its ack returns.");
  await alice.waitForOwn("its ack returns", "delivered");
  await bob.waitForReceived("its ack returns", "alice");
  await bob.page.locator("#text").fill("Typing on a phone…");
  await alice.page.locator("#typing", { hasText: "bob is typing" }).waitFor();

  await alice.page.screenshot({ path: `${here}desktop.png` });
  await bob.page.screenshot({ path: `${here}phone.png` });

  // Offline: the server goes away, the page keeps trying, new messages wait in the outbox.
  await server.close();
  serverOpen = false;
  await bob.page.locator("#text").fill("");
  await alice.waitForState("reconnecting");
  await alice.send("This one waits for the server to come back.");
  await alice.waitForOwn("waits for the server", "queued");
  await alice.page.screenshot({ path: `${here}offline.png` });
  console.log(`screenshots in ${here}`);
} finally {
  await browser.close();
  if (serverOpen) await server.close();
}
