// Bad networks on loopback only: a port nobody listens on (connections refused) and a "black hole" that
// accepts connections and never answers (as a firewall that drops packets looks to the client).
import { createServer, type Socket } from "node:net";

/** A 127.0.0.1 port that was just free: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export type BlackHole = { port: number; url: string; connections: number; close(): Promise<void> };

/** Accepts TCP connections on 127.0.0.1 and never sends a byte back. */
export async function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<Socket>();
  const hole: BlackHole = {
    port: 0,
    url: "",
    connections: 0,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((socket) => {
    hole.connections++;
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  hole.port = (server.address() as { port: number }).port;
  hole.url = `http://127.0.0.1:${hole.port}`;
  return hole;
}
