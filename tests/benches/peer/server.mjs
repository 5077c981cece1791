// The reference sync server: automerge-repo with its Node filesystem storage
// and WebSocket network adapter, as its documentation sets one up. Listens on
// 127.0.0.1, port 0, and prints "listening PORT" once bound.
// Usage: node server.mjs STORAGE_DIR
import { Repo } from "@automerge/automerge-repo"
import { NodeWSServerAdapter } from "@automerge/automerge-repo-network-websocket"
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs"
import { WebSocketServer } from "ws"

const dir = process.argv[2]
if (!dir) {
  console.error("usage: node server.mjs STORAGE_DIR")
  process.exit(2)
}
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 })
new Repo({
  network: [new NodeWSServerAdapter(wss)],
  storage: new NodeFSStorageAdapter(dir),
  // A sync server answers for documents; it does not announce them.
  sharePolicy: async () => false,
})
wss.on("listening", () => console.log(`listening ${wss.address().port}`))
