"""`nncourse release`: student notebooks via nbgrader, executed solutions, and proof that both are sound."""
