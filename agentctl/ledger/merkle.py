"""RFC 9162 (Certificate Transparency v2) Merkle trees over the ledger's event hashes.

A checkpoint holds the tree head (size, root) of the first `size` events. Because the tree
is the RFC's left-balanced one, a later head can be proven to extend an earlier one with a
consistency proof of O(log n) hashes (§2.1.4), which is what `checkpoint --previous` writes
and `verify_consistency` checks. Leaves are the 32-byte event hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

_sha = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    return _sha(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaf_hashes(level: list[bytes]) -> bytes:
    """MTH over already-hashed leaves. Pairing left to right and promoting an odd last node
    builds exactly the RFC's left-balanced tree, iteratively."""
    if not level:
        return _sha(b"").digest()
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162 §2.1.1."""
    return root_from_leaf_hashes([leaf_hash(d) for d in leaves])


def _mth(hashed: Sequence[bytes], lo: int, hi: int) -> bytes:
    return root_from_leaf_hashes(list(hashed[lo:hi]))


def consistency_proof(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1, for 0 < m <= n."""
    n = len(leaves)
    if not 0 < m <= n:
        raise ValueError(f"no consistency proof from size {m} to size {n}")
    hashed = [leaf_hash(d) for d in leaves]
    proof: list[bytes] = []

    def sub(m: int, lo: int, hi: int, whole: bool) -> None:
        n = hi - lo
        if m == n:
            if not whole:
                proof.append(_mth(hashed, lo, hi))
            return
        k = _split(n)
        if m <= k:
            sub(m, lo, lo + k, whole)
            proof.append(_mth(hashed, lo + k, hi))
        else:
            sub(m - k, lo + k, hi, False)
            proof.append(_mth(hashed, lo, lo + k))

    sub(m, 0, n, True)
    return proof


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: does the tree of size `second` extend the tree of size `first`?"""
    if first < 1 or second < first:
        return False
    if first == second:
        return not proof and first_root == second_root
    path = list(proof)
    if not path:
        return False
    if first & (first - 1) == 0:  # an exact power of two
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0
