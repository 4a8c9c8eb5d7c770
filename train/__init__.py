"""Training the learned stage (`make train`): needs the `train` extra (scikit-learn)."""
