"""The catalog's emotions: Cartesia's docs' names, grouped in the docs' order."""

from __future__ import annotations

from app.cartesia.models import catalog

#: Cartesia's docs: "The primary emotions, for which we have the most data and produce
#: the best results, are: neutral, angry, excited, content, sad, and scared."
PRIMARY = ("neutral", "angry", "excited", "content", "sad", "scared")

#: The docs' complete list, in its order (neutral is only among the primary ones).
COMPLETE_LIST = (
    "happy, excited, enthusiastic, elated, euphoric, triumphant, amazed, surprised, "
    "flirtatious, joking/comedic, curious, content, peaceful, serene, calm, grateful, "
    "affectionate, trust, sympathetic, anticipation, mysterious, angry, mad, outraged, "
    "frustrated, agitated, threatened, disgusted, contempt, envious, sarcastic, ironic, "
    "sad, dejected, melancholic, disappointed, hurt, guilty, bored, tired, rejected, "
    "nostalgic, wistful, apologetic, hesitant, insecure, confused, resigned, anxious, "
    "panicked, alarmed, scared, proud, confident, distant, skeptical, contemplative, "
    "determined"
)


def test_the_primary_emotions_come_first_in_the_docs_order() -> None:
    groups = catalog().emotion_groups
    assert groups[0].name == "Primary" and groups[0].emotions == PRIMARY
    assert catalog().emotions[:6] == PRIMARY


def test_every_emotion_is_in_exactly_one_group() -> None:
    names = catalog().emotions
    assert len(names) == len(set(names)) == 59
    assert "joking/comedic" in names  # in the docs' complete list
    assert all(group.emotions for group in catalog().emotion_groups)


def test_the_rest_follow_the_docs_complete_list() -> None:
    docs = COMPLETE_LIST.split(", ")
    rest = [name for group in catalog().emotion_groups[1:] for name in group.emotions]
    assert rest == [name for name in docs if name not in PRIMARY]



def test_why_a_model_ignores_a_control_and_which_has_it() -> None:
    get = catalog().get
    assert get("sonic-3").why_not("speed") == ""
    assert get("sonic-2").why_not("emotion") == "sonic-2 has no emotion control; use sonic-3.5"
    assert get("sonic-3.5").why_not("volume") == (
        "sonic-3.5 has no volume control (speed and volume are disabled on sonic-3.5 for "
        "now); use sonic-3")
