//! `shared`: a plain value (dict, list or scalar) kept in the shared arena,
//! read and written by every process of the program.
//!
//! Layout of a shared object in the arena (`SharedCell`):
//! ```text
//! inner   pthread_mutex_t   robust, process-shared: guards `value`
//! own     u32               Offset of the object's own `Lock` (`lock d { }`)
//! value   u64               low 32: Offset of the encoded value's block
//!                           (0: none); high 32: its length in bytes
//! fresh   u32               the block a write is filling (0: none)
//! old     u32               the block a write is retiring (0: none)
//! ```
//! The value is stored postcard-encoded (`value::wire`). Every single read
//! or write holds `inner` for its whole duration, so it is atomic; a compound
//! update (`d["k"] -= 1`) is two of them, racy on purpose unless done under
//! the object's own lock, which is a separate mutex so single operations
//! inside `lock d { }` still work. v1 reads decode the whole value (fine for
//! the small objects scripts share; a large one costs a decode per access).
//!
//! Kill safety: a write never touches the published bytes. It allocates a
//! block into `fresh` (one step, see `shm::alloc_into`), fills it, notes the
//! published block in `old`, publishes block and length with one store to
//! `value`, frees `old` (one step, `shm::free_from`) and clears `fresh`. A
//! writer killed at any instruction leaves the old value or the new one: the
//! next process to take `inner` gets `EOWNERDEAD` and, from `fresh`, `old`
//! and `value`, frees whichever of the two blocks is not published.

use super::lock::Lock;
use super::shm::{self, MutexGuard, Offset};
use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::runtime::{no_field, no_method, Handle, Host, Table};
use crate::syntax::member::Member;
use crate::value::list_index;
use crate::value::{self, wire, Args, Key, Value};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::SeqCst};

use crate::diagnostics::R;

#[repr(C)]
struct SharedCell {
    inner: libc::pthread_mutex_t,
    own: u32,
    value: AtomicU64,
    fresh: AtomicU32,
    old: AtomicU32,
}

/// A handle to a shared object in the arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shared(pub(crate) Offset);

/// List and dict methods that change the value: run on the decoded value
/// under the internal mutex, then stored back (one atomic operation).
const MUTATORS: &[Member] = &[
    Member::Push,
    Member::Append,
    Member::Pop,
    Member::Insert,
    Member::Remove,
    Member::Extend,
    Member::Reverse,
    Member::Clear,
    Member::Update,
];
/// Methods that only read: run on a snapshot.
const READERS: &[Member] = &[
    Member::Contains,
    Member::Index,
    Member::Count,
    Member::Join,
    Member::Len,
    Member::Copy,
    Member::Keys,
    Member::Values,
    Member::Items,
    Member::Get,
];

/// A shared object's methods and fields (see `runtime::Table`): its own
/// `snapshot`, and the `MUTATORS` and `READERS` of its list or dict.
pub const TABLE: Table = Table {
    methods: &[
        Member::Snapshot,
        Member::Push,
        Member::Append,
        Member::Pop,
        Member::Insert,
        Member::Remove,
        Member::Extend,
        Member::Reverse,
        Member::Clear,
        Member::Update,
        Member::Contains,
        Member::Index,
        Member::Count,
        Member::Join,
        Member::Len,
        Member::Copy,
        Member::Keys,
        Member::Values,
        Member::Items,
        Member::Get,
    ],
    fields: &[Member::Value],
};

pub fn call_method(interp: &mut (impl Host + ?Sized), d: &Shared, m: &Member, a: &mut Args) -> R<Value> {
    match m {
        Member::Snapshot => {
            a.check(0, 0, &[])?;
            d.snapshot()
        }
        Member::Value => Err(no_method(&Handle::Shared(*d), m)),
        _ => d.method(interp, m, a),
    }
}

pub fn field_get(d: &Shared, m: &Member) -> R<Value> {
    match m {
        Member::Value => d.snapshot(),
        _ => Err(no_field(&Handle::Shared(*d), m)),
    }
}

impl Shared {
    pub fn new(v: &Value) -> R<Shared> {
        let bytes = wire::encode_data(v)?;
        let own = Lock::new()?;
        let off = shm::alloc(std::mem::size_of::<SharedCell>())?;
        let s = Shared(off);
        // SAFETY: a fresh zeroed block that no other process knows yet.
        unsafe {
            shm::init_mutex(s.inner());
            (*s.cell()).own = own.0 .0;
        }
        let _g = s.locked();
        s.store(&bytes)?;
        Ok(s)
    }

    fn cell(&self) -> *mut SharedCell {
        shm::at::<SharedCell>(self.0)
    }

    fn inner(&self) -> *mut libc::pthread_mutex_t {
        // SAFETY: a field of a live SharedCell; no reference is formed.
        unsafe { std::ptr::addr_of_mut!((*self.cell()).inner) }
    }

    fn locked(&self) -> MutexGuard {
        // SAFETY: `inner` was initialised by `Shared::new`.
        let (g, abandoned) = unsafe { MutexGuard::lock_checked(self.inner()) };
        super::trace::note_shared_access();
        if abandoned {
            self.settle();
        }
        g
    }

    /// A writer died holding `inner`: free the block it was filling, or the
    /// one it had just replaced (see the module comment).
    fn settle(&self) {
        let c = self.cell_ref();
        let fresh = c.fresh.load(SeqCst);
        if fresh != 0 && fresh == c.value.load(SeqCst) as u32 {
            // SAFETY: under `inner`: the retired block, no longer published.
            unsafe { shm::free_from(&c.old) };
        } else {
            // SAFETY: under `inner`: the block a dead writer was filling.
            unsafe { shm::free_from(&c.fresh) };
        }
        c.old.store(0, SeqCst);
        c.fresh.store(0, SeqCst);
    }

    fn cell_ref(&self) -> &SharedCell {
        // SAFETY: a live SharedCell; the fields read through this reference
        // are atomics (the mutex is only reached through `inner()`).
        unsafe { &*self.cell() }
    }

    pub fn id(&self) -> u64 {
        self.0 .0 as u64
    }

    /// The object's own lock, taken by `lock obj { }`.
    pub fn own_lock(&self) -> Lock {
        // SAFETY: `own` is written once in `new`, before the handle exists.
        Lock(Offset(unsafe { (*self.cell()).own }))
    }

    /// The stored value. Call with `inner` held.
    fn load(&self) -> R<Value> {
        let word = self.cell_ref().value.load(SeqCst);
        let (data, len) = (word as u32, (word >> 32) as usize);
        if data == 0 {
            return Ok(Value::Nil);
        }
        // SAFETY: `inner` is held, so the published block stays live and
        // unchanged while it is read; `len` was published with it.
        let bytes = unsafe { std::slice::from_raw_parts(shm::at::<u8>(Offset(data)), len) };
        wire::decode_data(bytes)
    }

    /// Replace the stored bytes (see the module comment). Call with `inner` held.
    fn store(&self, bytes: &[u8]) -> R<()> {
        let len = u32::try_from(bytes.len())
            .map_err(|_| ErrorObj::new(ErrorKind::MemoryError, "a shared object's value is larger than 4 GiB"))?;
        let c = self.cell_ref();
        let new = shm::alloc_into(bytes.len(), false, &c.fresh)?;
        // SAFETY: a fresh block of at least `len` bytes that no one reads
        // until it is published below.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), shm::at::<u8>(new), bytes.len()) };
        c.old.store(c.value.load(SeqCst) as u32, SeqCst);
        c.value.store(new.0 as u64 | (len as u64) << 32, SeqCst);
        // SAFETY: `inner` is held, so no reader has the old block.
        unsafe { shm::free_from(&c.old) };
        c.fresh.store(0, SeqCst);
        Ok(())
    }

    /// One atomic read: a plain copy of the whole value.
    pub fn snapshot(&self) -> R<Value> {
        let _g = self.locked();
        self.load()
    }

    /// One atomic write of the whole value.
    pub fn set(&self, v: &Value) -> R<()> {
        wire::with_buffer(|bytes| {
            wire::encode_data_into(v, bytes)?;
            let _g = self.locked();
            self.store(bytes)
        })
    }

    /// One atomic read-modify-write. `f` must not run user code.
    fn update<T>(&self, f: impl FnOnce(&Value) -> R<T>) -> R<T> {
        let _g = self.locked();
        let v = self.load()?;
        let out = f(&v)?;
        wire::with_buffer(|bytes| {
            wire::encode_data_into(&v, bytes)?;
            self.store(bytes)
        })?;
        Ok(out)
    }

    /// `obj[index]`: one atomic read.
    pub fn index_get(&self, index: &Value) -> R<Value> {
        match self.snapshot()? {
            Value::Dict(map) => {
                let key = Key::from_value(index)?;
                map.borrow().get(&key).cloned().ok_or_else(|| {
                    ErrorObj::new(ErrorKind::KeyError, format!("key {} is not in the shared dict", value::repr(index)))
                })
            }
            Value::List(items) => {
                let items = items.borrow();
                Ok(items[list_index(index, items.len())?].clone())
            }
            other => Err(not_container(&other, "indexed")),
        }
    }

    /// `obj[index] = v`: one atomic read-modify-write of the whole value.
    pub fn index_set(&self, index: &Value, v: Value) -> R<()> {
        wire::WireValue::from_value(&v)?; // refuse non-plain data before locking
        self.update(|whole| match whole {
            Value::Dict(map) => {
                map.borrow_mut().insert(Key::from_value(index)?, v);
                Ok(())
            }
            Value::List(items) => {
                let mut items = items.borrow_mut();
                let i = list_index(index, items.len())?;
                items[i] = v;
                Ok(())
            }
            other => Err(not_container(other, "assigned to by index")),
        })
    }

    pub fn length(&self) -> R<usize> {
        Ok(match self.snapshot()? {
            Value::Dict(m) => m.borrow().len(),
            Value::List(l) => l.borrow().len(),
            Value::Str(s) => s.chars().count(),
            other => return Err(not_container(&other, "measured with len()")),
        })
    }

    /// The items a `for` loop visits (dict keys, list items…), from one read.
    pub fn items(&self) -> R<Vec<Value>> {
        Ok(match self.snapshot()? {
            Value::Dict(m) => m.borrow().keys().map(Key::to_value).collect(),
            Value::List(l) => l.borrow().clone(),
            Value::Str(s) => s.chars().map(|c| Value::Str(c.to_string().into())).collect(),
            Value::Range(r) => (r.start..r.stop()).map(Value::Int).collect(),
            other => return Err(not_container(&other, "looped over")),
        })
    }

    pub fn contains(&self, needle: &Value) -> R<bool> {
        value::contains(&self.snapshot()?, needle)
    }

    /// A list or dict method: mutators run atomically on the stored value,
    /// readers on a snapshot.
    fn method(&self, interp: &mut (impl Host + ?Sized), m: &Member, a: &mut Args) -> R<Value> {
        if MUTATORS.contains(m) {
            for v in a.pos.iter().chain(a.kw.iter().map(|(_, v)| v)) {
                wire::WireValue::from_value(v)?;
            }
            return self.update(|whole| match whole {
                Value::List(_) | Value::Dict(_) => interp.call_method(whole, m, a),
                other => Err(not_container(other, "changed in place")),
            });
        }
        if READERS.contains(m) {
            let snap = self.snapshot()?;
            if matches!(snap, Value::List(_) | Value::Dict(_)) {
                return interp.call_method(&snap, m, a);
            }
        }
        Err(ErrorObj::new(ErrorKind::AttributeError, format!("shared has no method `{m}`"))
            .with_help("take a plain copy with snapshot() and call the method on it"))
    }

    /// A shared object prints as its plain value (Python's Manager proxies
    /// print their referent): `{"count": 100}`.
    pub fn describe(&self) -> String {
        match self.snapshot() {
            Ok(v) => value::repr(&v),
            Err(_) => "<shared ?>".to_string(),
        }
    }

    /// As `print` shows it: a shared string is its raw text.
    pub fn display(&self) -> String {
        match self.snapshot() {
            Ok(v) => value::display(&v),
            Err(_) => "<shared ?>".to_string(),
        }
    }
}

fn not_container(v: &Value, what: &str) -> Box<ErrorObj> {
    ErrorObj::new(ErrorKind::TypeError, format!("a shared {} cannot be {what}", value::type_name(v)))
        .with_help("a shared scalar is read and written through .value")
}
