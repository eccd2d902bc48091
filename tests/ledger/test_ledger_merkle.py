"""RFC 9162 tree heads and consistency proofs, against the RFC's recursive definition."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from agentctl.ledger import merkle


def mth(d: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1, literally."""
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = 1
    while k * 2 < len(d):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()


def leaves(n: int) -> list[bytes]:
    return [hashlib.sha256(str(i).encode()).digest() for i in range(n)]


def test_known_shapes() -> None:
    for n in [0, 1, 2, 3, 4, 5, 7, 8, 9, 31, 32, 33, 100]:
        assert merkle.root(leaves(n)) == mth(leaves(n)), n


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 70), st.data())
def test_consistency_proofs_verify(n: int, data: st.DataObject) -> None:
    m = data.draw(st.integers(1, n))
    d = leaves(n)
    proof = merkle.consistency_proof(m, d)
    assert merkle.verify_consistency(m, n, mth(d[:m]), mth(d), proof)
    # a different old tree, a different new tree, or a bent proof must all fail
    other = [*d[: m - 1], b"x" * 32, *d[m:]]
    assert not merkle.verify_consistency(m, n, mth(other[:m]), mth(d), proof)
    if m < n:
        assert not merkle.verify_consistency(
            m, n, mth(d[:m]), mth([*d[:m], b"y" * 32, *d[m + 1 :]]), proof
        )
        if proof:
            bent = [*proof]
            i = data.draw(st.integers(0, len(bent) - 1))
            bent[i] = hashlib.sha256(bent[i]).digest()
            assert not merkle.verify_consistency(m, n, mth(d[:m]), mth(d), bent)
            assert not merkle.verify_consistency(m, n, mth(d[:m]), mth(d), proof[:-1])
