//! The example graph of docs/design.md (`seed --demo`): partners edx, mitpe and hxplus, their
//! organizations, sites and some course runs.

pub struct DemoPartner {
    pub code: &'static str,
    pub name: &'static str,
    pub lms: &'static str,
    pub studio: &'static str,
    pub marketing: &'static str,
    pub organizations: &'static [&'static str],
}

pub const PARTNERS: &[DemoPartner] = &[
    DemoPartner {
        code: "edx",
        name: "edX",
        lms: "https://courses.edx.org",
        studio: "https://studio.edx.org",
        marketing: "https://www.edx.org",
        // VJx, the MITx/HarvardX joint venture, belongs to the partner that holds both.
        organizations: &["MITx", "HarvardX", "DartmouthX", "VJx"],
    },
    DemoPartner {
        code: "mitpe",
        name: "MIT Professional Education",
        lms: "https://mitprofessionalx.mit.edu",
        studio: "https://studio.mitprofessionalx.mit.edu",
        marketing: "https://professional.mit.edu",
        organizations: &["MITProfessionalX"],
    },
    DemoPartner {
        code: "hxplus",
        name: "HarvardX Plus",
        lms: "https://harvardxplus.harvard.edu",
        studio: "https://studio.harvardxplus.harvard.edu",
        marketing: "https://www.harvardxplus.org",
        organizations: &["HarvardXPlus"],
    },
];

pub const ORGANIZATIONS: &[(&str, &str, &str)] = &[
    (
        "MITx",
        "Massachusetts Institute of Technology",
        "edX Consortium member",
    ),
    ("HarvardX", "Harvard University", "edX Consortium member"),
    ("DartmouthX", "Dartmouth College", "edX Consortium member"),
    (
        "VJx",
        "VJx",
        "A virtual organization delivering courses produced jointly by MITx and HarvardX",
    ),
    (
        "MITProfessionalX",
        "MIT Professional Education",
        "White-label organization with a dedicated site",
    ),
    (
        "HarvardXPlus",
        "HarvardX Plus",
        "White-label organization with a dedicated site",
    ),
];

/// (domain, name, partner, organizations presented)
pub const SITES: &[(&str, &str, &str, &[&str])] = &[
    (
        "edx.org",
        "edX",
        "edx",
        &["MITx", "HarvardX", "DartmouthX", "VJx"],
    ),
    (
        "mitprofessionalx.mit.edu",
        "MIT Professional Education",
        "mitpe",
        &["MITProfessionalX"],
    ),
    (
        "harvardxplus.harvard.edu",
        "HarvardX Plus",
        "hxplus",
        &["HarvardXPlus"],
    ),
];

/// (course key, organizations in link order). The joint VJx course is linked to VJx first.
pub const COURSES: &[(&str, &[&str])] = &[
    ("course-v1:MITx+6.002x+2024_T1", &["MITx"]),
    ("course-v1:MITx+6.00.1x+2024_T2", &["MITx"]),
    ("MITx/6.002x/2012_Fall", &["MITx"]),
    ("library-v1:MITx+MITxProblems", &["MITx"]),
    ("course-v1:HarvardX+CS50x+2024", &["HarvardX"]),
    ("lib:HarvardX:cs50-problems", &["HarvardX"]),
    (
        "course-v1:DartmouthX+DART.ENGL.01.X+2024_T1",
        &["DartmouthX"],
    ),
    ("course-v1:VJx+VJx101+2024_T1", &["VJx", "MITx", "HarvardX"]),
    (
        "course-v1:MITProfessionalX+AI101+2024_T1",
        &["MITProfessionalX"],
    ),
    ("course-v1:HarvardXPlus+HXP100+2024", &["HarvardXPlus"]),
];
