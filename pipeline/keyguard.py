"""One pseudonym key per store: its fingerprint, the refusal without a key, the stop on a
changed key.

Why: pseudonyms are HMAC-SHA256 of the identifiers under the key (pipeline.privacy).
Real data pseudonymised with the public demo key can be linked back by anyone holding
the CAW's own dossier list; and two years stored under different keys no longer link a
client across years (re-referral), silently. So `pwb run` refuses to run without
PWB_PSEUDONYM_KEY unless the data are declared synthetic, and a store remembers the
fingerprint of the key it was built with (STORE/sleutel.json): a run with another key
stops before it reads a file.

The fingerprint is HMAC-SHA256(key, a fixed label), first 12 hex characters: it tells
keys apart and cannot be turned back into the key (nor used to make pseudonyms: the
label is no identifier). It is recorded in results.json (settings.key_fingerprint),
the store and the metadata of `registraties`.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
from pathlib import Path

from pipeline.privacy import DEMO_PSEUDONYM_KEY, PSEUDONYM_KEY_ENV

FINGERPRINT_LABEL = b"pwb: vingerafdruk van de pseudonimiseringssleutel, v1"
STORE_KEY_FILE = "sleutel.json"
MIN_KEY_LENGTH = 16  # as pipeline.privacy.pseudonym_key demands

MISSING_KEY = (
    f"Geen pseudonimiseringssleutel: zet {PSEUDONYM_KEY_ENV} op een eigen geheime tekst van "
    f"minstens 16 tekens, buiten het project bewaard en elk jaar dezelfde (bv. export "
    f"{PSEUDONYM_KEY_ENV}='…'); enkel voor synthetische gegevens mag de publieke demosleutel, "
    f"met --synthetisch.")


class MissingKey(RuntimeError):
    """Real data without PWB_PSEUDONYM_KEY."""


class KeyMismatch(RuntimeError):
    """The store was built with another key than this run's."""


def key_fingerprint(key: bytes) -> str:
    return hmac.new(key, FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:12]


DEMO_FINGERPRINT = key_fingerprint(DEMO_PSEUDONYM_KEY)


def require_key(*, synthetic: bool) -> None:
    """Refuse real data without a key of one's own (MissingKey, Dutch)."""
    key = os.environ.get(PSEUDONYM_KEY_ENV)
    if not synthetic and not key:
        raise MissingKey(MISSING_KEY)
    if key and len(key) < MIN_KEY_LENGTH:
        raise MissingKey(f"{PSEUDONYM_KEY_ENV} is te kort ({len(key)} tekens): kies een geheime "
                         f"tekst van minstens {MIN_KEY_LENGTH} tekens, elk jaar dezelfde.")


def check_store_key(store: Path, fingerprint: str) -> None:
    """Record the key's fingerprint in a new store; stop (KeyMismatch) when the store
    was built with another key. Safe for concurrent first runs (link is atomic)."""
    store = Path(store)
    path = store / STORE_KEY_FILE
    if not path.exists():
        store.mkdir(parents=True, exist_ok=True)
        tmp = store / f".{STORE_KEY_FILE}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps({"key_fingerprint": fingerprint}) + "\n", encoding="utf-8")
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)  # the first run wins; the others compare with it
        tmp.unlink()
    recorded = json.loads(path.read_text(encoding="utf-8")).get("key_fingerprint")
    if recorded == fingerprint:
        return
    message = (f"De opslag {store} is gebouwd met een andere pseudonimiseringssleutel "
               f"(vingerafdruk {recorded}, deze run {fingerprint}): de pseudoniemen zouden "
               f"niet meer overeenkomen en herval over de jaren heen zou stil verloren gaan. ")
    if recorded == DEMO_FINGERPRINT:
        message += (f"Die opslag bevat enkel gegevens met de publieke demosleutel (pwb demo, "
                    f"--synthetisch): verwijder de map {store}, of kies voor deze gegevens "
                    f"een andere opslag met PWB_STORE=<map>.")
    else:
        message += (f"Gebruik dezelfde {PSEUDONYM_KEY_ENV} als bij de eerdere runs, of kies "
                    f"een nieuwe opslag met PWB_STORE=<map> (en draai dan alle jaren opnieuw).")
    raise KeyMismatch(message)
