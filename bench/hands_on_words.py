"""Hands-on work as words a model could weigh: an action verb on a technical object.

Tried for issue 11 as extra features of the learned classifier (`bench/cv_classify.py`, the
rows "+ the hands-on words") and NOT kept: docs/classification.md has the figures. Hands-on
technical work is out of scope even when it is asked for in CSP words ("after our firewall
review, delete the 14 rules we flagged"); its words are mostly the CSP activity's, and what
marks the work is a verb that changes something (install, delete, patch, set up) and a
technical thing it changes (server, rule, agent) in one sentence. `hands_on_words` names each
such sentence with one token, `handson`, and one per verb (`handsoninstall`), to be appended to
the text the model reads (as `model.model_text` appends the asked words).

The word lists were written from what docs/classification.md says is out of scope (changes to
servers, networks, DNS, firewall rules, restores, patching, troubleshooting), by an engineer who
had read the requests cross-validation still forced: on those records they helped; on the 600
written afterwards (train_i, train_j) they did not.
"""

from __future__ import annotations

import re
from functools import cache

TOKEN = "handson"


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Verbs that change something, by their base form (`_verb` reads -s, -ed, -ing).
VERBS = _set(
    """
    add adjust allocate allow apply attach block build change configure create debug decommission
    delete deploy detach disable downgrade enable expand extend fix grant increase install lower
    migrate modify mount open patch provision raise reboot rebuild reconfigure redeploy remove
    renew replace reset resize restart restore revoke spin troubleshoot tune unblock uninstall
    unlock upgrade whitelist
    """
)
IRREGULAR = {"built": "build", "rebuilt": "rebuild", "spun": "spin", "setup": "set-up"}
# Phrasal verbs of change, matched as words in order.
PHRASES = {
    "set up": "set-up",
    "spin up": "spin",
    "turn off": "turn-off",
    "turn on": "turn-on",
    "switch off": "turn-off",
    "switch on": "turn-on",
    "shut down": "turn-off",
    "power off": "turn-off",
    "power on": "turn-on",
    "roll out": "deploy",
    "roll back": "roll-back",
}
# Technical things such work changes (singular; a plural -s or -es is read too).
OBJECTS = _set(
    """
    2fa account acl agent alert app application autoscale autoscaling backup balancer bandwidth
    cert certificate cluster cname container cpu cron database db disk dns domain dr drive
    environment exchange failover firewall gateway group host hostname image instance interface
    ip iso kernel kubernetes linux loadbalancer login logon machine mailbox memory mfa nat
    network nic node os partition password patch permission policy port proxy ram record
    replication repo route router rule script server service snapshot snmp software sql ssl
    storage subnet switch template threshold tls tunnel update user vlan vm volume vpn windows
    """
)

_SENTENCES = re.compile(r"[^.!?\n]+[.!?]*")
_WORDS = re.compile(r"[a-z0-9]+")


@cache
def _verb(word: str) -> str | None:
    """The base form of a verb of change, for any of its regular forms, else None."""
    if word in IRREGULAR:
        return IRREGULAR[word]
    for base in _bases(word):
        if base in VERBS:
            return base
    return None


def _bases(word: str) -> list[str]:
    """What `word` may be a form of: itself, without -s/-es/-ed/-d/-ing, with a final -e put
    back (configured, configuring), or a doubled consonant undone (patched is regular;
    unblocked; but spinning, dropped)."""
    found = [word]
    for ending in ("es", "s", "ed", "d", "ing"):
        if word.endswith(ending) and len(word) > len(ending) + 2:
            stem = word[: -len(ending)]
            found += [stem, stem + "e"]
            if len(stem) > 2 and stem[-1] == stem[-2]:
                found.append(stem[:-1])
    return found


def _object(word: str) -> bool:
    if word in OBJECTS:
        return True
    return (word.endswith("s") and word[:-1] in OBJECTS) or (
        word.endswith("es") and word[:-2] in OBJECTS
    )


def hands_on_words(own: str) -> list[str]:
    """For each sentence of `own` (what the sender wrote now) with a verb of change and a
    technical object (another word than the verb: "the patch" alone is neither): `handson`,
    and `handson<verb>` for each such verb in it."""
    found: list[str] = []
    for match in _SENTENCES.finditer(own.lower()):
        words = _WORDS.findall(match.group())
        objects = {n for n, w in enumerate(words) if _object(w)}
        if not objects:
            continue
        verbs = {n: v for n, v in enumerate(map(_verb, words)) if v is not None}
        joined = f" {' '.join(words)} "
        phrased = [base for phrase, base in PHRASES.items() if f" {phrase} " in joined]
        if objects - set(verbs) and (verbs or phrased):
            found.append(TOKEN)
            named = dict.fromkeys((*verbs.values(), *phrased))  # once each, in order
            found += [f"{TOKEN}{v.replace('-', '')}" for v in named]
    return found
