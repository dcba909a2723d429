"""Pure estimators: proportions, differences, tests, means, disclosure. No SQL, no I/O."""
