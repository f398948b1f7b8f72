"""Notes in and out of the vault: the export formats, the import readers, the archive service.

records   NoteRecord, a note as a file carries it (id and times when the file has them)
formats   a note as Markdown with YAML front matter, or as one entry of the JSON document
readers   files (our exports, Markdown folders, mcp-memory-service JSON) → records
archive   ArchiveService: every note of an owner in pages; records written with their ids
"""
