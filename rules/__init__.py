"""The shared rules core: pure, synchronous, deterministic. Text + SchoolProfile in, Verdict out."""
