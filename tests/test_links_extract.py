"""Request planning and text extraction: pure functions over sample pages."""

from __future__ import annotations

import json

import pytest
from links_server import tiny_pdf

from tutorbot.ingest.links import LinkError, Page, extract, page_lang, plan_request, site_of
from tutorbot.ingest.links.htmltext import fallback_text, with_lead

ARXIV_ABS = """<!DOCTYPE html><html><head><title>[1706.03762] Attention Is All You Need</title>
<meta name="citation_title" content="Attention Is All You Need" />
<meta name="citation_author" content="Vaswani, Ashish" /><meta name="citation_author" content="Shazeer, Noam" />
<meta property="og:description" content="short og text"/></head><body>
<blockquote class="abstract mathjax"><span class="descriptor">Abstract:</span>The dominant sequence
  transduction models are based on complex recurrent networks.</blockquote>
<script>document.write("tracking")</script></body></html>"""
YOUTUBE = """<html><head><title>Let's build GPT - YouTube</title>
<meta property="og:title" content="Let&#39;s build GPT: from scratch, in code, spelled out.">
<meta property="og:description" content="We build a Generatively Pretrained Transformer (GPT).">
<script>var ytInitialData = {"secret": "do not index"};</script></head><body></body></html>"""
BILIBILI = """<html><head><meta property="og:title" content="Llama 3.1论文精读_哔哩哔哩_bilibili">
<meta name="description" content="跟李沐学AI，论文精读系列"></head><body><div id="app"></div></body></html>"""
ARTICLE = """<html><head><title>Notes on KV caching | Blog</title><script>alert('x')</script></head><body>
<nav><a href="/">Home</a> <a href="/about">About</a></nav><article><h1>Notes on KV caching</h1>
<p>Autoregressive decoding recomputes keys and values for every previous token unless they are cached.
Caching them trades memory for compute and is the standard trick in every inference server.</p>
<h2>Memory cost</h2><p>The cache grows linearly with the sequence length, the number of layers and the
hidden size, which is why long contexts are dominated by KV memory rather than by weights.</p>
<h2>Variants</h2><p>Multi-query and grouped-query attention share keys and values across heads to shrink
the cache, and paged attention allocates it in blocks to avoid fragmentation.</p></article>
<footer>© 2024</footer></body></html>"""


def page(body: bytes | str, content_type: str = "text/html", url: str = "https://example.org/p",
         charset: str | None = None) -> Page:
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return Page(url=url, final_url=url, content_type=content_type, charset=charset, body=raw)


@pytest.mark.parametrize(("url", "planned"), [
    ("https://github.com/karpathy/nanoGPT", "https://raw.githubusercontent.com/karpathy/nanoGPT/HEAD/README.md"),
    ("https://github.com/karpathy/minGPT/", "https://raw.githubusercontent.com/karpathy/minGPT/HEAD/README.md"),
    ("https://www.github.com/o/r.git", "https://raw.githubusercontent.com/o/r/HEAD/README.md"),
    ("https://github.com/TIC-DLUT/roadmap/blob/main/Go.md", "https://raw.githubusercontent.com/TIC-DLUT/roadmap/main/Go.md"),
    ("https://github.com/o/r/blob/v1.2/src/a.py#L10", "https://raw.githubusercontent.com/o/r/v1.2/src/a.py"),
    ("https://github.com/o/r/tree/main/docs", "https://raw.githubusercontent.com/o/r/main/docs/README.md"),
    ("https://github.com/orgs/huggingface", "https://github.com/orgs/huggingface"),
    ("https://github.com/o/r/issues/3", "https://github.com/o/r/issues/3"),
    ("https://arxiv.org/pdf/2303.18223", "https://arxiv.org/abs/2303.18223"),
    ("https://arxiv.org/pdf/2303.18223v2.pdf", "https://arxiv.org/abs/2303.18223v2"),
    ("https://arxiv.org/abs/2407.21783#:~:text=Modern", "https://arxiv.org/abs/2407.21783"),
    ("https://youtu.be/kCc8FmEb1nY", "https://www.youtube.com/watch?v=kCc8FmEb1nY"),
    ("https://www.youtube.com/watch?v=kCc8FmEb1nY", "https://www.youtube.com/watch?v=kCc8FmEb1nY"),
    ("https://lilianweng.github.io/posts/x/#intro", "https://lilianweng.github.io/posts/x/"),
])
def test_plan_request(url: str, planned: str) -> None:
    assert plan_request(url) == planned


def test_site_of() -> None:
    assert [site_of(u) for u in ("https://m.youtube.com/watch?v=1", "https://www.bilibili.com/video/BV1",
                                 "https://export.arxiv.org/abs/1", "https://raw.githubusercontent.com/a/b/c",
                                 "https://d2l.ai/")] == ["youtube", "bilibili", "arxiv", "github", "web"]


def test_article_html_keeps_headings_and_drops_chrome_and_scripts() -> None:
    doc = extract(page(ARTICLE), "web")
    assert doc.title == "Notes on KV caching | Blog"
    assert "## Memory cost" in doc.text and "grouped-query attention" in doc.text
    assert "alert" not in doc.text and "About" not in doc.text


def test_a_pages_cover_which_main_content_detection_drops_leads_its_text_and_a_menu_entry_does_not() -> None:
    # What trafilatura and the block walk make of the d2l.ai front page: its cover is a div of class "header".
    walked = ("## 《动手学深度学习》\n\n第二版\n\n面向中文读者的能运行、可讨论的深度学习教科书\n\n"
              "含 PyTorch、NumPy/MXNet、TensorFlow 和 PaddlePaddle 实现\n\n首页\n\n"
              "含 PyTorch、NumPy/MXNet、TensorFlow 和 PaddlePaddle 实现\n\n"
              "Implemented with PyTorch, NumPy/MXNet, JAX, and TensorFlow\n\n"
              "## 每一小节都是可以运行的 Jupyter 记事本\n\n你可以自由修改代码和超参数来获取及时反馈。")
    main = ("## 每一小节都是可以运行的 Jupyter 记事本\n\n你可以自由修改代码和超参数来获取及时反馈。\n\n"
            "Implemented with **PyTorch**, **NumPy/MXNet**, **JAX**, and **TensorFlow**")
    text = with_lead(main, walked)
    assert text.startswith("## 《动手学深度学习》\n\n面向中文读者的能运行、可讨论的深度学习教科书\n\n含 PyTorch")
    assert text.endswith(main) and "首页" not in text and "第二版" not in text  # too short to say anything
    assert text.count("PaddlePaddle") == 1 and text.count("Implemented with") == 1  # once; not what main says
    assert with_lead(main, main) == main


def test_fallback_extractor_keeps_blocks_headings_and_lists() -> None:
    text = fallback_text("<body><h2>Plan</h2><ul><li>one</li><li>two</li></ul><script>x()</script><p>end</p></body>")
    assert text == "## Plan\n\n- one\n\n- two\n\nend"


def test_arxiv_abs_page_gives_title_authors_and_abstract() -> None:
    doc = extract(page(ARXIV_ABS), "arxiv")
    assert doc.title == "Attention Is All You Need"
    assert doc.text.startswith("# Attention Is All You Need\n\nAuthors: Vaswani, Ashish; Shazeer, Noam")
    assert "## Abstract\n\nThe dominant sequence transduction models" in doc.text
    assert "Abstract:" not in doc.text and "tracking" not in doc.text


@pytest.mark.parametrize(("html", "site", "title", "description"), [
    (YOUTUBE, "youtube", "Let's build GPT: from scratch, in code, spelled out.", "Generatively Pretrained"),
    (BILIBILI, "bilibili", "Llama 3.1论文精读", "论文精读系列"),
])
def test_video_pages_give_title_and_description(html: str, site: str, title: str, description: str) -> None:
    doc = extract(page(html), site)
    assert doc.title == title and doc.text.startswith(f"# {title}") and description in doc.text
    assert "do not index" not in doc.text


def test_markdown_front_matter_becomes_title() -> None:
    md = "---\nlayout: post\ntitle: \"大模型(一): Scaling Laws\"\n---\n\n正文内容。\n\n## 小节\n"
    doc = extract(page(md, "text/markdown", "https://x.org/post.md"), "web")
    assert doc.title == "大模型(一): Scaling Laws"
    assert doc.text.startswith("# 大模型(一): Scaling Laws\n\n正文内容。") and "layout" not in doc.text


def test_python_source_is_fenced_after_its_docstring() -> None:
    src = '"""Tiny model.\n\nExplains things."""\n\nimport torch\n# a comment\nx = 1\n'
    doc = extract(page(src, "text/plain", "https://raw.githubusercontent.com/o/r/main/m.py"), "github")
    assert doc.text.startswith("Tiny model.\n\nExplains things.\n\n```python\n")
    assert doc.text.endswith("# a comment\nx = 1\n```")


def test_python_comments_are_not_taken_for_a_title() -> None:
    src = "# -*- coding: utf-8 -*-\nimport torch\n"
    doc = extract(page(src, "text/plain", "https://x.org/modeling_llama.py"), "web")
    assert doc.title == "" and doc.text == f"```python\n{src.rstrip()}\n```"


def test_jupytext_percent_files_turn_markdown_cells_into_prose() -> None:
    src = "# %% [markdown]\n# <h1>The Annotated Transformer</h1>\n#\n# Intro text.\n\n# %%\nimport torch\n"
    doc = extract(page(src, "text/plain", "https://x.org/t.py"), "web")
    assert doc.title == "The Annotated Transformer"
    assert "Intro text." in doc.text and "```python\nimport torch\n```" in doc.text


def test_notebook_cells_become_markdown_and_fenced_code() -> None:
    nb = {"metadata": {"kernelspec": {"language": "python"}}, "cells": [
        {"cell_type": "markdown", "source": ["# Title\n", "Some prose."]},
        {"cell_type": "code", "source": ["print(1)"], "outputs": [{"text": "1"}]},
    ]}
    doc = extract(page(json.dumps(nb), "text/plain", "https://x.org/a.ipynb"), "web")
    assert doc.title == "Title" and doc.text == "# Title\nSome prose.\n\n```python\nprint(1)\n```"
    with pytest.raises(LinkError, match="invalid notebook"):
        extract(page("{not json", "text/plain", "https://x.org/b.ipynb"), "web")


def test_pdf_text_is_extracted() -> None:
    doc = extract(page(tiny_pdf("Scaling laws for neural language models"), "application/pdf"), "arxiv")
    assert "Scaling laws for neural language models" in doc.text
    with pytest.raises(LinkError, match="invalid PDF"):
        extract(page(b"%PDF-1.4 garbage", "application/pdf"), "web")


def test_encodings_follow_the_declared_charset_and_refuse_invalid_bytes() -> None:
    assert extract(page("café".encode("latin-1"), "text/plain", charset="latin-1"), "web").text == "café"
    gbk = '<html><head><meta charset="gbk"><title>标题</title></head><body><p>中文正文</p></body></html>'
    assert extract(page(gbk.encode("gbk")), "web").title == "标题"
    with pytest.raises(LinkError, match="invalid encoding"):
        extract(page(b"caf\xe9 \xff", "text/plain", charset="utf-8"), "web")


def test_empty_pages_are_an_error() -> None:
    with pytest.raises(LinkError, match="no text extracted"):
        extract(page("<html><body><script>app()</script></body></html>"), "web")


@pytest.mark.parametrize(("text", "lang"), [
    ("生成扩散模型漫谈：DDPM = 拆楼 + 建楼，本文介绍扩散模型的基本思想。", "zh"),
    ("Denoising diffusion probabilistic models learn to reverse a noising process.", "en"),
    ("这篇 blog post 介绍 KV cache 与 paged attention 的 implementation details and trade-offs", "mixed"),
])
def test_detect_lang(text: str, lang: str) -> None:
    assert page_lang(text) == lang


README_MARKUP = """# Awesome models

<p align="center"><img src="./logo.png" width="90%"></p>

| Title | Venue |
|:--------|:--------:|
| [![Star](https://img.shields.io/github/stars/x/y.svg?style=social)](https://github.com/x/y) **Model A** <br> | arXiv |

<details open><summary>Figures</summary>

![Figure 1: the architecture](./arch.png) and [![demo](./demo.gif)](https://example.org/demo)
</details>

```html
<div class="keep">|:---|:---|</div>
```
"""


def test_readme_markup_that_costs_tokens_and_says_nothing_is_tidied_before_chunking() -> None:
    text = extract(page(README_MARKUP, "text/markdown", url="https://example.org/README.md"), "web").text
    assert "shields.io" not in text and "<img" not in text and "<br>" not in text and "<details" not in text
    assert "|---|---|" in text and "|:--------|" not in text  # a ruler keeps its cells, not its padding
    assert "**Model A**" in text and "Figure 1: the architecture and demo" in text  # words stay, images go
    assert '<div class="keep">|:---|:---|</div>' in text  # code is left as written
