"""FRAUDAR (Hooi et al., KDD 2016): greedy peeling for the densest block of a bipartite graph.

Rows are buyers, columns SKUs. Each edge (buyer bought SKU) weighs ``1 / log(column degree + c)``:
a popular SKU's edges count little, so fraudsters cannot hide by also buying popular products
(camouflage), and honest crowds on a best seller do not look dense. The peeling repeatedly drops
the node whose remaining edges weigh least and keeps the node set where
``g(S) = edge weight in S / |S|`` was highest. The loop runs over nodes and edges (buyers and
their SKUs), not over events; the graph is built with SciPy sparse matrices.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import sparse

__all__ = ["COLUMN_WEIGHT_C", "DenseBlock", "densest_block"]

COLUMN_WEIGHT_C: Final = 5.0  # the paper's constant in 1 / log(degree + c)


@dataclass(frozen=True)
class DenseBlock:
    rows: npt.NDArray[np.int64]
    columns: npt.NDArray[np.int64]
    density: float  # g(S) of the block
    edges: int


def densest_block(
    rows: npt.NDArray[np.integer], columns: npt.NDArray[np.integer], shape: tuple[int, int]
) -> DenseBlock:
    """The block FRAUDAR's peeling keeps; ``rows``/``columns`` list the edges (duplicates collapse)."""
    n_rows, n_cols = shape
    graph = sparse.coo_matrix((np.ones(rows.size), (rows, columns)), shape=shape).tocsr()
    graph.data[:] = 1.0
    column_degree = np.asarray(graph.sum(axis=0)).ravel()
    weights = graph.multiply(1.0 / np.log(column_degree + COLUMN_WEIGHT_C)).tocsr()
    by_column = weights.tocsc()
    # Node ids: rows 0..n_rows-1, columns n_rows..n_rows+n_cols-1.
    priority = np.concatenate([np.asarray(weights.sum(axis=1)).ravel(), np.asarray(weights.sum(axis=0)).ravel()])
    total = float(weights.sum())
    alive = np.ones(n_rows + n_cols, dtype=bool)
    size = n_rows + n_cols
    best_density, best_removed = total / size, 0
    heap = [(float(value), node) for node, value in enumerate(priority)]
    heapq.heapify(heap)
    removal_order: list[int] = []
    while heap and size > 0:
        value, node = heapq.heappop(heap)
        if not alive[node] or value != priority[node]:
            continue  # a stale entry: the node was removed or its priority dropped since
        alive[node] = False
        removal_order.append(node)
        total -= value
        size -= 1
        if node < n_rows:
            start, end = weights.indptr[node], weights.indptr[node + 1]
            neighbours, edge_weights = weights.indices[start:end] + n_rows, weights.data[start:end]
        else:
            column = node - n_rows
            start, end = by_column.indptr[column], by_column.indptr[column + 1]
            neighbours, edge_weights = by_column.indices[start:end], by_column.data[start:end]
        for neighbour, weight in zip(neighbours.tolist(), edge_weights.tolist(), strict=True):
            if alive[neighbour]:
                priority[neighbour] -= weight
                heapq.heappush(heap, (float(priority[neighbour]), neighbour))
        if size and total / size > best_density:
            best_density, best_removed = total / size, len(removal_order)
    kept = np.ones(n_rows + n_cols, dtype=bool)
    kept[np.array(removal_order[:best_removed], dtype=np.int64)] = False
    block_rows = np.flatnonzero(kept[:n_rows]).astype(np.int64)
    block_columns = np.flatnonzero(kept[n_rows:]).astype(np.int64)
    edges = int(graph[block_rows][:, block_columns].nnz) if block_rows.size and block_columns.size else 0
    return DenseBlock(rows=block_rows, columns=block_columns, density=best_density, edges=edges)
