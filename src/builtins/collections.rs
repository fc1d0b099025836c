//! Methods of lists and dicts.

use super::{no_method, BResult};
use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::runtime::Host;
use crate::syntax::member::Member;
use crate::value::{self, display, values_equal, Args, Dict, Key, List, Value};

pub fn list_method(interp: &mut dyn Host, l: &List, m: &Member, a: &mut Args) -> BResult {
    Ok(match m {
        Member::Push | Member::Append => {
            a.check(1, 1, &[])?;
            l.borrow_mut().push(a.pos.pop().unwrap_or_default());
            Value::Nil
        }
        Member::Pop => {
            a.check(0, 1, &[])?;
            let mut items = l.borrow_mut();
            if items.is_empty() {
                return Err(ErrorObj::new(ErrorKind::IndexError, "pop from an empty list"));
            }
            let i = match a.pos.first() {
                Some(idx) => crate::eval::list_index(idx, items.len())?,
                None => items.len() - 1,
            };
            items.remove(i)
        }
        Member::Insert => {
            a.check(2, 2, &[])?;
            let mut items = l.borrow_mut();
            let len = items.len() as i64;
            let i = a.int(0, "the index")?;
            let i = if i < 0 { (i + len).max(0) } else { i.min(len) } as usize;
            items.insert(i, a.pos[1].clone());
            Value::Nil
        }
        Member::Remove => {
            a.check(1, 1, &[])?;
            let mut items = l.borrow_mut();
            match items.iter().position(|v| values_equal(v, &a.pos[0])) {
                Some(i) => {
                    items.remove(i);
                }
                None => {
                    return Err(ErrorObj::new(
                        ErrorKind::ValueError,
                        format!("{} is not in the list", value::repr(&a.pos[0])),
                    ))
                }
            }
            Value::Nil
        }
        Member::Contains => {
            a.check(1, 1, &[])?;
            Value::Bool(l.borrow().iter().any(|v| values_equal(v, &a.pos[0])))
        }
        Member::Index => {
            a.check(1, 1, &[])?;
            match l.borrow().iter().position(|v| values_equal(v, &a.pos[0])) {
                Some(i) => Value::Int(i as i64),
                None => {
                    return Err(ErrorObj::new(
                        ErrorKind::ValueError,
                        format!("{} is not in the list", value::repr(&a.pos[0])),
                    ))
                }
            }
        }
        Member::Count => {
            a.check(1, 1, &[])?;
            Value::Int(l.borrow().iter().filter(|v| values_equal(v, &a.pos[0])).count() as i64)
        }
        Member::Join => {
            a.check(0, 1, &[])?;
            let sep = match a.pos.first() {
                Some(Value::Str(s)) => s.to_string(),
                Some(s) => value::expect_str(s, &a.func(), "the separator")?.to_string(),
                None => String::new(),
            };
            let parts: Vec<String> = l.borrow().iter().map(display).collect();
            Value::str(&parts.join(&sep))
        }
        Member::Len => {
            a.check(0, 0, &[])?;
            Value::Int(l.borrow().len() as i64)
        }
        Member::Extend => {
            a.check(1, 1, &[])?;
            let more = super::core::items_of(&a.pos[0], "extend")?;
            crate::value::check_list_size(l.borrow().len().checked_add(more.len()))?;
            l.borrow_mut().extend(more);
            Value::Nil
        }
        Member::Reverse => {
            a.check(0, 0, &[])?;
            l.borrow_mut().reverse();
            Value::Nil
        }
        Member::Sort => {
            a.check(0, 0, &["key", "reverse"])?;
            let mut items = l.borrow().clone();
            let reverse = a.kw("reverse").is_some_and(|v| v.truthy());
            super::core::sort_values(interp, &mut items, a.kw("key"), reverse, a.span)?;
            **l.borrow_mut() = items;
            Value::Nil
        }
        Member::Copy => {
            a.check(0, 0, &[])?;
            Value::list(l.borrow().clone())
        }
        Member::Clear => {
            a.check(0, 0, &[])?;
            l.borrow_mut().clear();
            Value::Nil
        }
        _ => return Err(no_method(&Value::List(l.clone()), m.as_str())),
    })
}

pub fn dict_method(_: &mut dyn Host, d: &Dict, m: &Member, a: &mut Args) -> BResult {
    Ok(match m {
        Member::Keys => {
            a.check(0, 0, &[])?;
            Value::list(d.borrow().keys().map(Key::to_value).collect())
        }
        Member::Values => {
            a.check(0, 0, &[])?;
            Value::list(d.borrow().values().cloned().collect())
        }
        Member::Items => {
            a.check(0, 0, &[])?;
            Value::list(d.borrow().iter().map(|(k, v)| Value::list(vec![k.to_value(), v.clone()])).collect())
        }
        Member::Get => {
            a.check(1, 2, &[])?;
            let key = Key::from_value(&a.pos[0])?;
            d.borrow().get(&key).cloned().unwrap_or_else(|| a.get(1).clone())
        }
        Member::Pop | Member::Remove => {
            a.check(1, 2, &[])?;
            let key = Key::from_value(&a.pos[0])?;
            match d.borrow_mut().shift_remove(&key) {
                Some(v) => v,
                None if a.pos.len() == 2 => a.pos[1].clone(),
                None => {
                    return Err(ErrorObj::new(
                        ErrorKind::KeyError,
                        format!("key {} is not in the dict", value::repr(&a.pos[0])),
                    ))
                }
            }
        }
        Member::Contains => {
            a.check(1, 1, &[])?;
            Value::Bool(Key::from_value(&a.pos[0]).is_ok_and(|k| d.borrow().contains_key(&k)))
        }
        Member::Len => {
            a.check(0, 0, &[])?;
            Value::Int(d.borrow().len() as i64)
        }
        Member::Update => {
            a.check(1, 1, &[])?;
            let Value::Dict(other) = &a.pos[0] else {
                return Err(value::wrong_type(&a.func(), "the argument", "a dict", &a.pos[0]));
            };
            let pairs: Vec<_> = other.borrow().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            d.borrow_mut().extend(pairs);
            Value::Nil
        }
        Member::Copy => {
            a.check(0, 0, &[])?;
            Value::dict(d.borrow().clone())
        }
        Member::Clear => {
            a.check(0, 0, &[])?;
            d.borrow_mut().clear();
            Value::Nil
        }
        _ => return Err(no_method(&Value::Dict(d.clone()), m.as_str())),
    })
}
