//! Owns the free-text index of an event log: per event, a 256-bit signature of the trigrams of
//! ASCII letters its raw bytes hold (case-folded, one hashed bit each), kept in step with the
//! log: a slot appended with each event, dropped with evicted ones, counted in the byte budget.
//!
//! A signature is computed the first time a filter asks about its event, not on append: on the
//! ingest path it cost a third of WebSocket ingest (a pass over every event's bytes under the
//! store's write lock). The first free-text filter over a history computes them as it scans
//! (on the scan's threads, through a shared reference: the slots are atomics); every later one,
//! each keystroke of a filter being typed among them, reads them.
//!
//! A free-text filter asks which events may hold all its words (`may_contain`): an event whose
//! signature lacks a bit of a word's trigram cannot hold the word, so its bytes are never read.
//! Candidates are still verified by the filter, so results are exactly those of a scan. Words
//! without three letters in a row (`404`, `ok`) give no probe: every event is a candidate.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::protocol::MessageType;

use super::StoredEvent;

const WORDS: usize = 4;
/// Hashed bits: the last bit of the last word is the slot's "computed" mark, never a trigram.
const BITS: u64 = (WORDS * 64 - 1) as u64;
const COMPUTED: u64 = 1 << 63;
type Signature = [u64; WORDS];
/// Events whose shown text is composed (not only their bytes) are always candidates.
const EVERYTHING: Signature = [u64::MAX; WORDS];
/// A slot whose signature is not computed yet.
type Slot = [AtomicU64; WORDS];

/// Whether the UI matches this type's rows on a text it composes (a screenshot's "saved …", a
/// navigation), besides the raw bytes: the index cannot rule such events out.
pub fn shows_composed_text(ty: MessageType) -> bool {
    matches!(ty, MessageType::ScreenshotResponse | MessageType::BrowserEvent)
}

/// ASCII letters folded to 0–25; anything else breaks a run of letters.
static LETTER: [u8; 256] = {
    let mut t = [u8::MAX; 256];
    let mut i = 0;
    while i < 26 {
        t[b'a' as usize + i] = i as u8;
        t[b'A' as usize + i] = i as u8;
        i += 1;
    }
    t
};

/// The bits of every letter trigram of `bytes`.
fn signature(bytes: &[u8]) -> Signature {
    let mut sig = [0u64; WORDS];
    let (mut trigram, mut run) = (0u32, 0u32);
    for &b in bytes {
        let letter = LETTER[b as usize];
        if letter == u8::MAX {
            run = 0;
            continue;
        }
        trigram = ((trigram << 5) | u32::from(letter)) & 0x7FFF;
        run += 1;
        if run >= 3 {
            // Multiplicative hash, then range reduction to the signature's bits.
            let bit = (u64::from(trigram.wrapping_mul(0x9E37_79B1)) * BITS) >> 32;
            sig[(bit / 64) as usize] |= 1 << (bit % 64);
        }
    }
    sig
}

/// An event's signature computed ahead, off the store's lock (when its chunk is sealed).
#[derive(Debug, Clone)]
pub struct Computed(Signature);

impl Computed {
    pub fn of(bytes: &[u8]) -> Computed {
        let mut sig = signature(bytes);
        sig[WORDS - 1] |= COMPUTED;
        Computed(sig)
    }
}

/// What a filter's free-text words require of a signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe(Signature);

impl Probe {
    /// The probe for events holding every one of `words`; None when no word has a letter
    /// trigram (the index cannot help).
    pub fn of<S: AsRef<str>>(words: &[S]) -> Option<Probe> {
        let mut need = [0u64; WORDS];
        for w in words {
            for (n, s) in need.iter_mut().zip(signature(w.as_ref().as_bytes())) {
                *n |= s;
            }
        }
        (need != [0; WORDS]).then_some(Probe(need))
    }
}

/// The signatures of a log's events; entry `i` is the log's event `first + i`.
#[derive(Debug, Default)]
pub struct TextIndex {
    first: u64,
    signatures: VecDeque<Slot>,
}

impl TextIndex {
    /// Indexes the event just appended at log index `index`.
    pub fn push(&mut self, index: u64, event: &StoredEvent) {
        if index != self.first + self.signatures.len() as u64 {
            // Not next to what is held (never the case when fed by every append): start over here.
            self.signatures.clear();
            self.first = index;
        }
        // Computed on first use ([`Self::may_contain`]); composed-text events match anything.
        let sig = if shows_composed_text(event.ty) { EVERYTHING } else { [0; WORDS] };
        self.signatures.push_back(sig.map(AtomicU64::new));
    }

    /// Sets the signature of the event at log index `index`, unless one is there (composed-text
    /// events keep matching anything).
    pub fn set(&self, index: u64, computed: &Computed) {
        let Some(slot) = index.checked_sub(self.first).and_then(|i| self.signatures.get(i as usize)) else {
            return;
        };
        if slot[WORDS - 1].load(Relaxed) & COMPUTED == 0 {
            for (s, v) in slot.iter().zip(computed.0) {
                s.store(v, Relaxed);
            }
        }
    }

    /// Drops the signatures of events before log index `first` (evicted).
    pub fn trim(&mut self, first: u64) {
        let gone = first.saturating_sub(self.first).min(self.signatures.len() as u64);
        self.signatures.drain(..gone as usize);
        self.first = self.first.max(first);
    }

    /// Drops everything; the next event indexed is log index `end`.
    pub fn clear(&mut self, end: u64) {
        self.signatures.clear();
        self.first = end;
    }

    /// What the index weighs (counted in the store's byte budget).
    pub fn bytes(&self) -> usize {
        self.signatures.len() * std::mem::size_of::<Slot>()
    }

    /// Whether the event at log index `index` may hold the probe's words (true when unknown).
    /// `raw` gives the event's bytes, read only the first time its signature is needed.
    pub fn may_contain<B: std::ops::Deref<Target = [u8]>>(
        &self,
        index: u64,
        probe: &Probe,
        raw: impl FnOnce() -> Option<B>,
    ) -> bool {
        let Some(slot) = index.checked_sub(self.first).and_then(|i| self.signatures.get(i as usize)) else {
            return true;
        };
        let mut sig: Signature = std::array::from_fn(|w| slot[w].load(Relaxed));
        if sig[WORDS - 1] & COMPUTED == 0 {
            let Some(bytes) = raw() else { return true };
            sig = signature(&bytes);
            sig[WORDS - 1] |= COMPUTED;
            // Two threads may compute the same slot: they store the same bits.
            for (s, v) in slot.iter().zip(sig) {
                s.store(v, Relaxed);
            }
        }
        sig.iter().zip(&probe.0).all(|(s, p)| s & p == *p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_hold_case_folded_letter_trigrams_only() {
        let sig = signature(br#"{"url":"/API/Orders/7"}"#);
        let has = |w: &str| Probe::of(&[w]).is_some_and(|p| sig.iter().zip(&p.0).all(|(s, p)| s & p == *p));
        assert!(has("orders") && has("ORD") && has("api"));
        assert!(Probe::of(&["or", "404", "a-b"]).is_none(), "no trigram, no probe");
        let mut index = TextIndex::default();
        assert!(
            index.may_contain(3, &Probe::of(&["zzz"]).unwrap(), || None::<&[u8]>),
            "unknown events are candidates"
        );
        index.clear(10);
        assert_eq!(index.bytes(), 0);
    }
}
