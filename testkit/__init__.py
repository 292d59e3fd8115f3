"""Test support shared by tests/, faults/ and benchmarks/: Bot API and Zalo stand-ins, the chat
driver, scratch databases and the backend loop, org seeders, and the fuzz and polling harnesses.

Only tests/, faults/ and benchmarks/ import it; application packages never do
(tests/unit/test_dependency_rule.py)."""
