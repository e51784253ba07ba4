"""The Merkle tree of RFC 9162 (Certificate Transparency 2.0), §2.1: hashes, roots and proofs.

Pure functions over lists of leaf hashes; nothing here touches the database."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over leaf hashes."""
    return frontier_root(frontier_of(leaves))


# The frontier (compact range) of a tree: the roots of its perfect subtrees, left to right, with
# their sizes (powers of two, decreasing). It is all a sequencer needs to append and find roots.
Frontier = list[tuple[int, bytes]]


def frontier_append(frontier: Frontier, leaf: bytes) -> None:
    frontier.append((1, leaf))
    while len(frontier) > 1 and frontier[-1][0] == frontier[-2][0]:
        (size, right), (_, left) = frontier.pop(), frontier.pop()
        frontier.append((size * 2, node_hash(left, right)))


def frontier_of(leaves: Sequence[bytes]) -> Frontier:
    frontier: Frontier = []
    for leaf in leaves:
        frontier_append(frontier, leaf)
    return frontier


def frontier_root(frontier: Frontier) -> bytes:
    if not frontier:
        return EMPTY_ROOT
    acc = frontier[-1][1]
    for _, h in reversed(frontier[:-1]):
        acc = node_hash(h, acc)
    return acc


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) (RFC 9162 §2.1.3.1) for the leaf at `index` of the tree `leaves`."""
    n = len(leaves)
    if not 0 <= index < n:
        raise ValueError(f"leaf {index} is not in a tree of {n}")
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return [*inclusion_proof(index, leaves[:k]), root(leaves[k:])]
    return [*inclusion_proof(index - k, leaves[k:]), root(leaves[:k])]


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], top: bytes
) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == top


def consistency_proof(first: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) (RFC 9162 §2.1.4.1): the tree of `first` leaves is a prefix of `leaves`."""
    n = len(leaves)
    if not 0 < first <= n:
        raise ValueError(f"no consistency proof from {first} to {n}")
    return _subproof(first, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [root(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), root(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), root(leaves[:k])]


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2."""
    if not 0 < first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the old root is the first node of the path
        path.insert(0, first_root)
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root
