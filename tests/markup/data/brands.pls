<?xml version="1.0" encoding="UTF-8"?>
<!-- Exported from a speech service's custom lexicon, as such files usually look -->
<lexicon version="1.0"
      xmlns="http://www.w3.org/2005/01/pronunciation-lexicon"
      xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
      xsi:schemaLocation="http://www.w3.org/2005/01/pronunciation-lexicon
        http://www.w3.org/TR/2007/CR-pronunciation-lexicon-20071212/pls.xsd"
      alphabet="ipa" xml:lang="en-US">
  <lexeme>
    <grapheme>Cartesia</grapheme>
    <phoneme>kɑɹˈtiʒə</phoneme>
  </lexeme>
  <!-- several spellings, one pronunciation -->
  <lexeme>
    <grapheme>bayou</grapheme>
    <grapheme>Bayou</grapheme>
    <phoneme>ˈbɑju</phoneme>
  </lexeme>
  <lexeme>
    <grapheme>W3C</grapheme>
    <alias>World Wide Web Consortium</alias>
  </lexeme>
  <lexeme>
    <grapheme>New York</grapheme>
    <phoneme>nu ˈjɔɹk</phoneme>
  </lexeme>
  <lexeme>
    <grapheme>tomato</grapheme>
    <phoneme>təˈmeɪtoʊ</phoneme>
    <phoneme prefer="true">təˈmɑtoʊ</phoneme>
  </lexeme>
  <lexeme>
    <grapheme>AT&amp;T</grapheme>
    <alias>A T and T</alias>
  </lexeme>
</lexicon>
