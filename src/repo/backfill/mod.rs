//! The backfill's SQL: bulk reads that plan it (`plan`) and bulk writes that apply it with its
//! change log (`apply`), in statements of many bound parameters (`sql`).

mod apply;
mod plan;

pub use apply::{Written, apply};
pub use plan::{Plan, plan};

#[cfg(test)]
mod tests {
    use crate::repo::bulk::{self as sql, pad, padded};

    #[test]
    fn batches_pad_to_a_power_of_two_with_their_last_item() {
        assert_eq!(padded(1), 16);
        assert_eq!(padded(17), 32);
        assert_eq!(padded(100_000), sql::MAX_PARAMS);
        let padded_items: Vec<i32> = pad(&[1, 2, 3]).copied().collect();
        assert_eq!(padded_items.len(), 16);
        assert_eq!(&padded_items[..4], &[1, 2, 3, 3]);
        assert_eq!(pad::<i32>(&[]).count(), 0);
    }
}
