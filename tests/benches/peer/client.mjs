// The reference client doing the benchmark's work against server.mjs, one
// scenario at a time. Before each it prints "ready NAME" and waits for a line
// on stdin (so the caller can read the server's CPU time), then prints
// "done NAME MILLISECONDS". Exits non-zero if a scenario does not finish.
// Usage: node client.mjs WS_URL N EDITS
import { Repo } from "@automerge/automerge-repo"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"

const [url, nArg, editsArg] = process.argv.slice(2)
const n = Number(nArg)
const edits = Number(editsArg)
if (!url || !(n > 0) || !(edits >= 0)) {
  console.error("usage: node client.mjs WS_URL N EDITS")
  process.exit(2)
}
const LIMIT_MS = 600_000
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
const dirs = []
const storage = () => {
  const d = mkdtempSync(join(tmpdir(), "peer-client-"))
  dirs.push(d)
  return new NodeFSStorageAdapter(d)
}

async function scenario(name, work) {
  console.log(`ready ${name}`)
  const go = await lines.next()
  if (go.done) process.exit(3)
  const t = performance.now()
  let timer
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not finish in ${LIMIT_MS} ms`)), LIMIT_MS)
  })
  await Promise.race([work(), limit])
  clearTimeout(timer)
  console.log(`done ${name} ${(performance.now() - t).toFixed(3)}`)
}

const sameHeads = (a, b) =>
  !!a && !!b && a.length === b.length && [...a].sort().join() === [...b].sort().join()

// Resolves when `until(handle)` holds for every handle, checked now and on
// each of the events named.
function all(handles, events, until) {
  return new Promise(resolve => {
    const left = new Set(handles)
    const check = h => {
      if (left.has(h) && until(h)) {
        left.delete(h)
        if (left.size === 0) resolve()
      }
    }
    for (const h of handles) {
      for (const e of events) h.on(e, () => check(h))
      check(h)
    }
  })
}

// An issue document as the app keeps it: a header and a list of events.
const issue = i => ({
  header: { id: crypto.randomUUID(), site: crypto.randomUUID(), kind: "issue", schema: 1 },
  events: [
    {
      id: crypto.randomUUID(),
      lamport: 1,
      by: crypto.randomUUID(),
      by_name: "inspector1",
      role: "inspector",
      device: crypto.randomUUID(),
      at: new Date().toISOString(),
      body: {
        type: "raise",
        checkpoint_code: "CP-R01",
        category: "hygiene_defect",
        grade: "deadline",
        title: `问题 ${i}`,
        description: "地面有污渍，需要清理",
        photos: [],
        deadline: new Date().toISOString(),
      },
    },
  ],
})
const comment = () => ({
  id: crypto.randomUUID(),
  lamport: 2,
  by: crypto.randomUUID(),
  by_name: "inspector2",
  role: "inspector",
  device: crypto.randomUUID(),
  at: new Date().toISOString(),
  body: { type: "comment", text: "复查：仍需处理" },
})

// (i) N issues recorded offline on device A, then A connects and pushes them.
const a = new Repo({ network: [], storage: storage() })
const created = []
for (let i = 0; i < n; i++) created.push(a.create(issue(i)))
await scenario("push", async () => {
  a.networkSubsystem.addNetworkAdapter(new WebSocketClientAdapter(url))
  await all(created, ["remote-heads"], h => {
    const sid = a.peers.map(p => a.getStorageIdOfPeer(p)).find(Boolean)
    return !!sid && sameHeads(h.getSyncInfo(sid)?.lastHeads, h.heads())
  })
})

// (iv) A fresh device B fetches all N.
const b = new Repo({ network: [new WebSocketClientAdapter(url)], storage: storage() })
await b.networkSubsystem.whenReady()
let fetched = []
await scenario("fetch", async () => {
  fetched = await Promise.all(created.map(h => b.find(h.url)))
  for (const h of fetched) if (h.doc().events.length !== 1) throw new Error("incomplete document")
})

// (ii) A comments on the first EDITS issues, B on the last EDITS; both see
// the other's comments.
await scenario("edit", async () => {
  const onA = created.slice(0, edits)
  const onB = fetched.slice(n - edits)
  for (const h of onA) h.change(d => void d.events.push(comment()))
  for (const h of onB) h.change(d => void d.events.push(comment()))
  const bSeesA = fetched.slice(0, edits)
  const aSeesB = created.slice(n - edits)
  await Promise.all([
    all(bSeesA, ["change"], h => h.doc().events.length === 2),
    all(aSeesB, ["change"], h => h.doc().events.length === 2),
  ])
})

await Promise.all([a.shutdown(), b.shutdown()])
for (const d of dirs) rmSync(d, { recursive: true, force: true })
process.exit(0)
