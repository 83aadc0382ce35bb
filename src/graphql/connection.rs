//! Relay cursor connections shared by every list field.

use std::borrow::Cow;

use async_graphql::parser::types::{Field, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::{
    ContextSelectionSet, OutputType, Positioned, ServerResult, SimpleObject, Value,
};
use chrono::{DateTime, Utc};

use super::object::{Change, Course, Organization, Partner, Site};
use super::plain::{self, Edges, Plain};
use crate::domain::page::{Page, SortKey};

/// Shareable: other subgraphs of the supergraph (the catalog) define Relay `PageInfo` too.
#[derive(SimpleObject)]
#[graphql(shareable)]
pub struct PageInfo {
    /// Whether more items follow this page.
    pub has_next_page: bool,
    /// Whether items precede this page.
    pub has_previous_page: bool,
    /// The cursor of the first item of this page.
    pub start_cursor: Option<String>,
    /// The cursor of the last item of this page: pass it as `after` for the next page.
    pub end_cursor: Option<String>,
}

/// Builds a connection type and its edge type for one node type. (Concrete types, because async-graphql cannot nest generic output types.)
macro_rules! connection {
    ($conn:ident, $edge:ident, $node:ty, $doc:literal) => {
        connection!($conn, $edge, $node, $doc, {});
    };
    ($conn:ident, $edge:ident, $node:ty, $doc:literal, { $($extra:ident: $ty:ty = $get:expr),* }) => {
        #[doc = $doc]
        #[derive(SimpleObject)]
        pub struct $conn {
            /// The items of this page, each with its cursor.
            pub edges: Edges<$edge>,
            /// Where this page stands in the list.
            pub page_info: PageInfo,
            /// How many items the list holds across all pages (of what the caller may see).
            pub total_count: i64,
        }

        #[doc = concat!("One entry of ", stringify!($conn), ": the item and its cursor (and, for memberships, since when).")]
        #[derive(SimpleObject)]
        pub struct $edge {
            /// Where this item stands: pass it as `after` to continue after it.
            pub cursor: Cursor,
            /// The item.
            pub node: $node,
            /// When this edge was made (membership or course link creation); null on top-level lists and on edges that are not memberships.
            pub since: Option<DateTime<Utc>>,
            $(
                /// Whether the link is active (inactive ones show only with `includeInactive`).
                pub $extra: $ty,
            )*
        }

        impl Plain for $edge {
            fn plain(&self, name: &str, set: &SelectionSet) -> Option<Value> {
                match name {
                    "cursor" => Some(self.cursor.value()),
                    "node" => plain::object(&self.node, set),
                    "since" => Some(self.since.as_ref().map_or(Value::Null, plain::scalar)),
                    $(stringify!($extra) => Some(Value::from(self.$extra)),)*
                    _ => None,
                }
            }
        }

        impl $conn {
            pub fn from_page<M>(page: Page<M>, node: impl Fn(M) -> $node) -> Self {
                let page_info = page_info(&page);
                let edges = page
                    .items
                    .into_iter()
                    .map(|item| {
                        let node = node(item.node);
                        $(let $extra = ($get)(&node);)*
                        $edge { cursor: Cursor(item.key), node, since: item.since, $($extra,)* }
                    })
                    .collect();
                $conn {
                    edges: Edges(edges),
                    page_info,
                    total_count: page.total as i64,
                }
            }
        }
    };
}

fn page_info<M>(page: &Page<M>) -> PageInfo {
    PageInfo {
        has_next_page: page.has_next,
        has_previous_page: page.has_previous,
        start_cursor: page.items.first().map(|i| i.key.cursor()),
        end_cursor: page.items.last().map(|i| i.key.cursor()),
    }
}

/// An edge's cursor, a `String` in the schema, encoded only when selected: a list that does not
/// ask for cursors (most do not) skipped two allocations and a base64 pass per row.
pub struct Cursor(SortKey);

impl Cursor {
    fn value(&self) -> Value {
        Value::String(self.0.cursor())
    }
}

impl OutputType for Cursor {
    fn type_name() -> Cow<'static, str> {
        <String as OutputType>::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <String as OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        _: &ContextSelectionSet<'_>,
        _: &Positioned<Field>,
    ) -> ServerResult<Value> {
        Ok(self.value())
    }
}

connection!(
    OrganizationConnection,
    OrganizationEdge,
    Organization,
    "A page of organizations."
);
connection!(
    PartnerConnection,
    PartnerEdge,
    Partner,
    "A page of partners."
);
connection!(SiteConnection, SiteEdge, Site, "A page of sites.");
connection!(CourseConnection, CourseEdge, Course, "A page of courses and libraries.", {
    active: Option<bool> = |course: &Course| course.link.as_ref().map(|l| l.active)
});
connection!(
    ChangeConnection,
    ChangeEdge,
    Change,
    "A page of changes, oldest first."
);
