"""The standards' formats as plain code that knows nothing of the domain (CAP 1.2 today).

Lowest layer: it imports nothing of Linkage, so incidents (and later public) can use it.
"""
