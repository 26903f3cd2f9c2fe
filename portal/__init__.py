"""Customer billing portal: pages reached from signed links in receipts."""
