//! A table of the state (leases, IAM users, access keys…) that remembers which of its
//! rows changed, so the state log records only those rows, not the whole state.
//!
//! Reads go through `Deref` to the `BTreeMap`; every way to change a row is a method here
//! that marks it (there is no `DerefMut`), so no change can slip past the log.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

thread_local! {
    /// While set, tables serialize as empty maps: the rest of a state (its "meta": mount
    /// table, root token, account id…) is then small enough to record whole.
    static TABLES_LEFT_OUT: Cell<bool> = const { Cell::new(false) };
}

/// Serializes `value` without the rows of its tables.
pub fn to_json_without_tables<T: Serialize>(value: &T) -> Vec<u8> {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            TABLES_LEFT_OUT.with(|flag| flag.set(false));
        }
    }
    TABLES_LEFT_OUT.with(|flag| flag.set(true));
    let _reset = Reset;
    serde_json::to_vec(value).expect("state serializes")
}

#[derive(Clone, PartialEq)]
pub struct TrackedMap<V> {
    rows: BTreeMap<String, V>,
    changed: BTreeSet<String>,
}

impl<V> Default for TrackedMap<V> {
    fn default() -> Self {
        Self {
            rows: BTreeMap::new(),
            changed: BTreeSet::new(),
        }
    }
}

impl<V> TrackedMap<V> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, key: String, value: V) -> Option<V> {
        self.changed.insert(key.clone());
        self.rows.insert(key, value)
    }

    /// Inserts and hands the stored row back (for builders that return what they made).
    pub fn insert_and_get(&mut self, key: String, value: V) -> &mut V {
        self.changed.insert(key.clone());
        self.rows.entry(key).or_insert(value)
    }

    pub fn remove(&mut self, key: &str) -> Option<V> {
        let removed = self.rows.remove(key);
        if removed.is_some() {
            self.changed.insert(key.to_owned());
        }
        removed
    }

    /// The row, marked as changed: whatever the caller does with it is recorded.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        let row = self.rows.get_mut(key)?;
        self.changed.insert(key.to_owned());
        Some(row)
    }

    /// Keys of the rows changed since the last call, with their current values (`None`:
    /// removed).
    pub fn take_changed(&mut self) -> Vec<(String, Option<&V>)> {
        let changed = std::mem::take(&mut self.changed);
        changed
            .into_iter()
            .map(|key| {
                let value = self.rows.get(&key);
                (key, value)
            })
            .collect()
    }

    pub fn forget_changes(&mut self) {
        self.changed.clear();
    }

    pub fn has_changes(&self) -> bool {
        !self.changed.is_empty()
    }

    /// The rows whose keys start with `prefix`, in key order (a range, not a scan).
    pub fn with_prefix(&self, prefix: impl Into<String>) -> impl Iterator<Item = (&String, &V)> {
        let prefix: String = prefix.into();
        self.rows
            .range::<String, _>((
                std::ops::Bound::Included(prefix.clone()),
                std::ops::Bound::Unbounded,
            ))
            .take_while(move |(key, _)| key.starts_with(&prefix))
    }
}

impl<V> Deref for TrackedMap<V> {
    type Target = BTreeMap<String, V>;
    fn deref(&self) -> &Self::Target {
        &self.rows
    }
}

impl<'a, V> IntoIterator for &'a TrackedMap<V> {
    type Item = (&'a String, &'a V);
    type IntoIter = std::collections::btree_map::Iter<'a, String, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.rows.iter()
    }
}

impl<V> FromIterator<(String, V)> for TrackedMap<V> {
    fn from_iter<I: IntoIterator<Item = (String, V)>>(iter: I) -> Self {
        Self {
            rows: iter.into_iter().collect(),
            changed: BTreeSet::new(),
        }
    }
}

impl<V: fmt::Debug> fmt::Debug for TrackedMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.rows.fmt(f)
    }
}

impl<V: Serialize> Serialize for TrackedMap<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if TABLES_LEFT_OUT.with(Cell::get) {
            return BTreeMap::<String, V>::new().serialize(serializer);
        }
        self.rows.serialize(serializer)
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for TrackedMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self {
            rows: BTreeMap::deserialize(deserializer)?,
            changed: BTreeSet::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_change_is_reported_once_with_its_current_value() {
        let mut map = TrackedMap::new();
        map.insert("a".to_owned(), 1);
        map.insert("b".to_owned(), 2);
        *map.get_mut("a").unwrap() += 10;
        map.remove("b");
        assert!(map.get_mut("missing").is_none());
        let changed: Vec<_> = map
            .take_changed()
            .into_iter()
            .map(|(k, v)| (k, v.copied()))
            .collect();
        assert_eq!(
            changed,
            [("a".to_owned(), Some(11)), ("b".to_owned(), None)]
        );
        assert!(map.take_changed().is_empty());
        assert_eq!(map["a"], 11);
    }

    #[test]
    fn it_reads_and_writes_as_a_plain_map_and_can_be_left_out() {
        #[derive(Serialize)]
        struct State {
            name: &'static str,
            rows: TrackedMap<u32>,
        }
        let state = State {
            name: "x",
            rows: [("k".to_owned(), 7)].into_iter().collect(),
        };
        assert_eq!(
            serde_json::to_string(&state).unwrap(),
            r#"{"name":"x","rows":{"k":7}}"#
        );
        assert_eq!(
            String::from_utf8(to_json_without_tables(&state)).unwrap(),
            r#"{"name":"x","rows":{}}"#
        );
        let back: TrackedMap<u32> = serde_json::from_str(r#"{"k":7}"#).unwrap();
        assert_eq!(back["k"], 7);
        assert!(!back.has_changes());
    }
}
