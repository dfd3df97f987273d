// `npm start`: the demo on http://localhost:3000 (PORT overrides).
import { startChatServer } from "./chat-server.js";

const raw = process.env.PORT ?? "3000";
const port = Number(raw);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`PORT must be an integer from 0 to 65535, got "${raw}"`);
  process.exit(1);
}

startChatServer({ port }).then(
  (server) => {
    console.log(`Volley chat on http://localhost:${server.port}`);
    const stop = () => {
      server.close().then(() => process.exit(0));
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  },
  (error: NodeJS.ErrnoException) => {
    console.error(
      error.code === "EADDRINUSE" ? `port ${port} is in use; try PORT=3001 npm start` : String(error),
    );
    process.exit(1);
  },
);
