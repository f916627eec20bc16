"""Documents in chat: upload, parse, chunk, embed, retrieve, cite (`service`, `retrieval`)."""
