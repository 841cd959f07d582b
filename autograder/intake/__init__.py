"""A submission goes in: its files read safely (``files``), its modules found, decoded and checked
statically (``submission``; notebooks through ``read_notebooks``, their course cells compared by
``notebook_integrity``), and the class list it belongs to (``roster``).  Nothing here runs student code."""
