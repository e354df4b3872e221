"""The currency exchange of Confluent's "Event-Driven Microservices", built on govern.

Services: account (legacy SQL store sink and source), rate (order books from a level2 feed),
transaction (exactly-once deposits, withdrawals and exchanges), wallet (valued balances).
Each runs alone (`python -m services.<name>`) or all together (`python -m services`).
"""
