"""The sandbox: bubblewrap + a dedicated uid + rlimits + seccomp around a plain Python worker."""
