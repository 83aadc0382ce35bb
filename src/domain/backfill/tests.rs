use indicatif::ProgressBar;

use super::*;

#[test]
fn each_phase_counts_from_zero_to_its_own_length() {
    let bar = ProgressBar::hidden();
    let progress = Progress(Some(bar.clone()));
    let lines = ["course-v1:edX+A+1", "# comment", "lib:MITx:x"];
    parse(
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| (i + 1, l.to_string()))
            .collect(),
        &progress,
    );
    assert_eq!((bar.position(), bar.length()), (3, Some(3)));
    progress.phase("existing links read", 2);
    assert_eq!((bar.position(), bar.length()), (0, Some(2)));
    progress.phase("history written", 0);
    assert_eq!((bar.position(), bar.length()), (0, Some(0)));
}

#[test]
fn spellings_fold_into_the_smallest_one_and_keys_dedup() {
    let lines = [
        "course-v1:edx+A+1",
        "course-v1:edX+B+1",
        "course-v1:edx+A+1",
        "lib:MITx:x",
    ];
    let parsed = parse(
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| (i + 1, l.to_string()))
            .collect(),
        &Progress::default(),
    );
    let spellings: Vec<&str> = parsed.groups.iter().map(|g| g.spelling.as_str()).collect();
    assert_eq!(spellings, ["MITx", "edX"]);
    assert_eq!(parsed.keys[1], ["course-v1:edX+B+1", "course-v1:edx+A+1"]);
    assert_eq!(parsed.keys_read, 4);
}
