// Who keeps a connection's memory: every object of a V8 heap snapshot is charged to its nearest
// dominator that is an instance of a named class (a `Socket`, an `Adapter`, a `WebSocket` …), so a
// Set inside the adapter's room table counts as the adapter's, a listener table as its emitter's.
// Used by `bench/heap.ts --owners`: the difference of two snapshots, per connection.
import { readFileSync } from "node:fs";

interface RawSnapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** Bytes charged to one owning class, split by the kind of object they are ("self" for the owners themselves). */
export interface OwnerTotal {
  bytes: number;
  /** Instances of the owning class (an owner that is itself owned still counts here). */
  instances: number;
  byKind: Map<string, number>;
}

// Containers and engine internals: never an owner, their bytes go to whoever holds them.
const NOT_OWNERS = new Set([
  "Object",
  "Array",
  "Map",
  "Set",
  "WeakMap",
  "WeakSet",
  "Function",
  "Promise",
  "system / Context",
  "(object properties)",
  "(object elements)",
]);

/** Self sizes of a snapshot summed by owning class. */
export function ownersOf(path: string): Map<string, OwnerTotal> {
  const snap = JSON.parse(readFileSync(path, "utf8")) as RawSnapshot;
  const meta = snap.snapshot.meta;
  const nodeStride = meta.node_fields.length;
  const edgeStride = meta.edge_fields.length;
  const typeAt = meta.node_fields.indexOf("type");
  const nameAt = meta.node_fields.indexOf("name");
  const sizeAt = meta.node_fields.indexOf("self_size");
  const edgeCountAt = meta.node_fields.indexOf("edge_count");
  const edgeTypeAt = meta.edge_fields.indexOf("type");
  const toNodeAt = meta.edge_fields.indexOf("to_node");
  const nodeTypes = meta.node_types[0];
  const weakEdge = meta.edge_types[0].indexOf("weak");
  const objectType = nodeTypes.indexOf("object");
  const nodes = snap.nodes;
  const edges = snap.edges;
  const count = nodes.length / nodeStride;

  // First edge (index into `edges`) of each node.
  const firstEdge = new Int32Array(count + 1);
  for (let n = 0; n < count; n++)
    firstEdge[n + 1] = firstEdge[n]! + nodes[n * nodeStride + edgeCountAt]! * edgeStride;

  const idom = dominators(count, firstEdge, edges, edgeStride, edgeTypeAt, toNodeAt, nodeStride, weakEdge);

  const isOwner = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const at = n * nodeStride;
    if (nodes[at + typeAt] !== objectType) continue;
    const name = snap.strings[nodes[at + nameAt]!]!;
    if (!NOT_OWNERS.has(name) && !name.startsWith("(") && !name.startsWith("system /")) isOwner[n] = 1;
  }
  // Owner of each node, memoised along the dominator chain (parents before children is not
  // guaranteed by index order, so resolve with an explicit walk).
  const owner = new Int32Array(count).fill(-2);
  owner[0] = -1;
  const chain: number[] = [];
  for (let n = 0; n < count; n++) {
    if (idom[n] === -1) continue; // unreachable: not in the snapshot's live graph
    let m = n;
    while (owner[m] === -2 && !isOwner[m]) {
      chain.push(m);
      m = idom[m]!;
    }
    const found = isOwner[m] ? m : owner[m]!;
    for (const c of chain) owner[c] = found;
    chain.length = 0;
    if (isOwner[n]) owner[n] = n;
  }

  const totals = new Map<string, OwnerTotal>();
  for (let n = 0; n < count; n++) {
    if (idom[n] === -1) continue;
    const o = owner[n]!;
    const ownerName = o < 0 ? "(no class: roots, modules)" : snap.strings[nodes[o * nodeStride + nameAt]!]!;
    let total = totals.get(ownerName);
    if (!total) {
      total = { bytes: 0, instances: 0, byKind: new Map() };
      totals.set(ownerName, total);
    }
    const at = n * nodeStride;
    const size = nodes[at + sizeAt]!;
    const type = nodeTypes[nodes[at + typeAt]!]!;
    const kind =
      o === n
        ? "self"
        : type === "object"
          ? snap.strings[nodes[at + nameAt]!]!
          : type === "closure"
            ? "closure"
            : type;
    total.bytes += size;
    if (o === n) total.instances++;
    total.byKind.set(kind, (total.byKind.get(kind) ?? 0) + size);
  }
  return totals;
}

/**
 * Immediate dominators from node 0 (the snapshot's root), weak edges ignored: the iterative
 * algorithm of Cooper, Harvey and Kennedy over a reverse postorder. -1 for unreachable nodes.
 */
function dominators(
  count: number,
  firstEdge: Int32Array,
  edges: number[],
  edgeStride: number,
  edgeTypeAt: number,
  toNodeAt: number,
  nodeStride: number,
  weakEdge: number,
): Int32Array {
  // Postorder by an explicit-stack depth-first walk.
  const post = new Int32Array(count).fill(-1);
  const order = new Int32Array(count);
  const visited = new Uint8Array(count);
  const stackNode = new Int32Array(count);
  const stackEdge = new Int32Array(count);
  let depth = 0;
  let reached = 0;
  stackNode[0] = 0;
  stackEdge[0] = firstEdge[0]!;
  visited[0] = 1;
  depth = 1;
  while (depth > 0) {
    const n = stackNode[depth - 1]!;
    const e = stackEdge[depth - 1]!;
    if (e < firstEdge[n + 1]!) {
      stackEdge[depth - 1] = e + edgeStride;
      if (edges[e + edgeTypeAt] === weakEdge) continue;
      const to = edges[e + toNodeAt]! / nodeStride;
      if (visited[to]) continue;
      visited[to] = 1;
      stackNode[depth] = to;
      stackEdge[depth] = firstEdge[to]!;
      depth++;
    } else {
      post[n] = reached;
      order[reached++] = n;
      depth--;
    }
  }
  // Predecessors of reachable nodes, as compressed rows.
  const predStart = new Int32Array(count + 1);
  for (let n = 0; n < count; n++) {
    if (post[n] === -1) continue;
    for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e += edgeStride) {
      if (edges[e + edgeTypeAt] !== weakEdge) predStart[edges[e + toNodeAt]! / nodeStride + 1]!++;
    }
  }
  for (let n = 0; n < count; n++) predStart[n + 1]! += predStart[n]!;
  const preds = new Int32Array(predStart[count]!);
  const fill = predStart.slice(0, count);
  for (let n = 0; n < count; n++) {
    if (post[n] === -1) continue;
    for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e += edgeStride) {
      if (edges[e + edgeTypeAt] === weakEdge) continue;
      const to = edges[e + toNodeAt]! / nodeStride;
      preds[fill[to]!++] = n;
    }
  }
  // idom stored by postorder number while iterating.
  const idomPost = new Int32Array(reached).fill(-1);
  const root = post[0]!;
  idomPost[root] = root;
  let changed = true;
  let passes = 0;
  while (changed && passes < 1000) {
    changed = false;
    passes++;
    for (let i = reached - 2; i >= 0; i--) {
      const n = order[i]!;
      let next = -1;
      for (let p = predStart[n]!; p < predStart[n + 1]!; p++) {
        let a = post[preds[p]!]!;
        if (idomPost[a] === -1) continue;
        if (next === -1) {
          next = a;
          continue;
        }
        let b = next;
        while (a !== b) {
          while (a < b) a = idomPost[a]!;
          while (b < a) b = idomPost[b]!;
        }
        next = a;
      }
      if (next !== -1 && idomPost[i] !== next) {
        idomPost[i] = next;
        changed = true;
      }
    }
  }
  const idom = new Int32Array(count).fill(-1);
  for (let i = 0; i < reached; i++) idom[order[i]!] = order[idomPost[i]!]!;
  idom[0] = 0;
  return idom;
}
