//! Handles or slugs and their database ids, both ways.

use super::Map;

/// Names and ids of users or topics. Ids are given out by the writer, one past the largest known,
/// so they are dense and a vector indexed by id holds the names.
#[derive(Debug, Clone, Default)]
pub struct Names {
    ids: Map<Box<str>, i32>,
    by_id: Vec<Option<Box<str>>>,
    max_id: i32,
}

impl Names {
    pub fn id(&self, name: &str) -> Option<i32> {
        self.ids.get(name).copied()
    }

    pub fn name(&self, id: i32) -> Option<&str> {
        let slot = self.by_id.get(usize::try_from(id).ok()?)?;
        slot.as_deref()
    }

    /// The largest id known.
    pub fn max_id(&self) -> i32 {
        self.max_id
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Records a name the database already holds under `id`.
    pub fn register(&mut self, id: i32, name: &str) {
        self.ids.insert(name.into(), id);
        if let Ok(at) = usize::try_from(id) {
            if self.by_id.len() <= at {
                self.by_id.resize(at + 1, None);
            }
            self.by_id[at] = Some(name.into());
        }
        self.max_id = self.max_id.max(id);
    }

    /// The id of `name`, and whether it was just assigned (the caller must then insert it).
    pub fn id_or_assign(&mut self, name: &str) -> (i32, bool) {
        if let Some(id) = self.id(name) {
            return (id, false);
        }
        let id = self.max_id + 1;
        self.register(id, name);
        (id, true)
    }
}
