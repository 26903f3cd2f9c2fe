"""Receipts and credit notes: one per money event, gapless numbers, branded PDFs, emailed.

issue.py takes the number and stores the document in one transaction; render.py turns its
frozen content into a PDF afterwards; mailing.py sends it; hooks.py is how the shared upsert
path asks for documents (after its transaction commits).
"""
