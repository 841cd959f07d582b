"""The nbgrader course's side of the grader: the check cells' API in a kernel (``notebooks``),
``nbgrader-autograde`` (``autograde``, with ``kitgrades`` in place of nbgrader's Execute), the
feedback page (``feedback_page``) and the export (``export``).  Named ``course``: a package named
``nbgrader`` here would shadow nbgrader itself."""
