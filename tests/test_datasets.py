import numpy as np

from skembed.__main__ import main
from skembed.datasets import load_sms_spam, load_wiki_sample


def test_bundled_sms_spam_collection():
    texts, is_spam = load_sms_spam()
    assert len(texts) == len(is_spam) == 5574
    assert is_spam.dtype == bool and int(is_spam.sum()) == 747
    assert texts[0].startswith("Go until jurong point")
    assert all(isinstance(t, str) and "\t" not in t and "\n" not in t for t in texts)


def test_bundled_wiki_sample():
    sentences = load_wiki_sample(sentence_len=500)
    lengths = np.array([len(s) for s in sentences])
    assert np.all(lengths[:-1] == 500) and 0 < lengths[-1] <= 500
    assert 900_000 < lengths.sum() < 1_100_000
    assert sentences[0][:2] == ["anarchism", "is"]


def test_command_line_lists_subcommands(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "demo" in out and "usage" in out
