"""Retrieval: loading course files, chunking, embedding, indexing and searching them."""
