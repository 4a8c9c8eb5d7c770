"""The shared rules core: pure, synchronous and deterministic. Text + SchoolProfile in, Verdict out."""
