from retrieval.chunking import CHUNKER_VERSION, Chunker, chunk_id, embedding_text
from tutor.types import LoadedDocument, Section


def _doc() -> LoadedDocument:
    first = "Intro words. " * 50
    second = "Body text here. " * 5
    return LoadedDocument(
        path="a/b.md",
        title="Title",
        sections=[
            Section(first.strip(), heading="Title", start=0, end=len(first.strip())),
            Section(
                second.strip(),
                heading="Title > Part",
                start=len(first.strip()) + 2,
                end=len(first.strip()) + 2 + len(second.strip()),
            ),
        ],
    )


def test_chunks_respect_token_size_sections_and_offsets():
    count = lambda text: len(text.split())  # noqa: E731
    doc = _doc()
    chunks = Chunker(count, chunk_tokens=20, overlap_tokens=4).chunk(doc, "c")
    assert all(count(c.text) <= 20 for c in chunks)
    assert {c.heading for c in chunks} == {"Title", "Title > Part"}
    for c in chunks:
        assert doc.text[c.start : c.end] == c.text  # offsets point into the document text
        assert c.course == "c" and c.document == "a/b.md" and c.title == "Title"
    # Overlap: neighbouring chunks of the long section share words.
    first, second = chunks[0].text.split(), chunks[1].text.split()
    assert first[-1] in second[:6]


def test_ids_hash_content_and_chunker_version():
    a = chunk_id("d.md", "H", "text")
    assert a == chunk_id("d.md", "H", "text")
    assert a != chunk_id("d.md", "H", "text!") and a != chunk_id("e.md", "H", "text")
    assert CHUNKER_VERSION


def test_embedding_text_carries_the_place():
    doc = _doc()
    chunk = Chunker(lambda t: len(t.split()), chunk_tokens=200, overlap_tokens=0).chunk(doc, "c")[1]
    assert embedding_text(chunk).startswith("Title > Part\n")
