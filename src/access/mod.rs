//! Who may see and change what (docs/access.md): the one place for access rules.
//!
//! * `scope`: the caller as far as access goes (subject, administrator, `content_org` filters,
//!   read-only tokens); `caller`: how a request, a socket or a command gets one, with its CSRF
//!   state, and the only way a service is handed an `Actor`.
//! * `visibility`: what a caller may see, as SQL conditions added to the statements that load
//!   rows (lists, lookups, loaders, `_entities`, the change log), and the grant conditions
//!   (who administers what).
//! * `check`: the checks of a write, inside its transaction: the same conditions run on the
//!   one row the write names (`SELECT 1 ... WHERE id = ? AND <condition>`).
//! * `decide`: the decisions (who may grant what, read-only tokens, filters, administrators).
//!
//! Layer rule: nothing outside this module (and `auth`, which reads the token) decides on a
//! caller's privileges or builds an `Actor`; this module runs no SQL itself (`repo::access`
//! does). Checked by `tests/api/layers.rs`.

pub mod caller;
pub mod check;
pub mod decide;
mod scope;
pub mod visibility;

pub use caller::{Caller, actor};
pub use scope::{AuthSource, Scope};
