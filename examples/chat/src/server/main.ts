// `npm start`: the demo on http://localhost:3000 (PORT overrides). `npm start -- --workers N` (or
// VOLLEY_WORKERS=N) runs it on N node:cluster workers sharing the port (see cluster.ts).
import { startChatServer } from "./chat-server.js";
import { parseWorkers, startClustered } from "./cluster.js";

const raw = process.env.PORT ?? "3000";
const port = Number(raw);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`PORT must be an integer from 0 to 65535, got "${raw}"`);
  process.exit(1);
}

const workers = parseWorkers(process.argv.slice(2), process.env.VOLLEY_WORKERS);
if (typeof workers === "string") {
  console.error(workers);
  process.exit(1);
}

if (workers !== undefined) {
  await startClustered(port, workers);
} else {
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
}
