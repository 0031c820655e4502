from retrieval.lexical import lexical_tokens


def test_words_are_lowercased_and_stopwords_dropped():
    assert lexical_tokens("What is the pH of Lemon juice?") == ["ph", "lemon", "juice"]


def test_chinese_becomes_character_bigrams():
    assert lexical_tokens("水的沸点") == ["水的", "的沸", "沸点"]
    assert lexical_tokens("水 H2O") == ["水", "h2o"]


def test_hindi_and_arabic_words_survive():
    assert lexical_tokens("पानी का क्वथनांक") == ["पानी", "का", "क्वथनांक"]
    assert lexical_tokens("نقطة غليان الماء") == ["نقطة", "غليان", "الماء"]
