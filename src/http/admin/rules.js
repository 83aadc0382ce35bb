// What the console checks before it asks: the field rules of docs/access.md (shown next to
// each field), and which actions the caller's grants allow (docs/access.md), so that a
// forbidden action is disabled with its reason. The service still decides: these only spare
// the operator a refusal, and every refusal it answers is shown as it comes.

// Python's Unicode \w (letters, digits, underscore), as edx-opaque-keys uses it.
const WORD = '\\p{L}\\p{N}_';
const length = (min, max) => (v) =>
  [...v].length < min ? (min === 1 ? 'Required.' : `At least ${min} characters.`)
    : [...v].length > max ? `At most ${max} characters (this has ${[...v].length}).` : null;

const optionalUrl = (label) => ({
  name: label[0], label: label[1], type: 'url', hint: 'Optional; up to 255 characters.',
  check: (v) => (v === '' ? null : length(1, 255)(v)),
});

export const FIELDS = {
  organization: [
    {
      name: 'shortName', label: 'Short name', key: true,
      hint: 'Unique, case-insensitive (edX is edx). 1-255 letters, digits and _ - ~ . : % (no spaces, +, / or @), as in a course key.',
      check: (v) => length(1, 255)(v)
        ?? (new RegExp(`^[${WORD}\\-~.:%]+$`, 'u').test(v) ? null : 'Only letters, digits and _ - ~ . : % are allowed.'),
    },
    { name: 'name', label: 'Name', hint: '1-255 characters.', check: length(1, 255) },
    {
      name: 'description', label: 'Description', textarea: true, optional: true,
      hint: 'Optional; up to 10,000 characters.', check: (v) => (v === '' ? null : length(1, 10000)(v)),
    },
    { ...optionalUrl(['logoUrl', 'Logo URL']), optional: true },
  ],
  partner: [
    {
      name: 'shortCode', label: 'Short code', key: true,
      hint: '1-8 characters of A-Z, a-z, 0-9, _ or -; unique, case-insensitive.',
      check: (v) => length(1, 8)(v) ?? (/^[A-Za-z0-9_-]+$/.test(v) ? null : 'Only A-Z, a-z, 0-9, _ and - are allowed.'),
    },
    { name: 'name', label: 'Name', hint: 'Unique; 1-128 characters.', check: length(1, 128) },
    { ...optionalUrl(['lmsUrl', 'LMS URL']), optional: true },
    { ...optionalUrl(['studioUrl', 'Studio URL']), optional: true },
    { ...optionalUrl(['marketingSiteUrl', 'Marketing site URL']), optional: true },
  ],
  site: [
    {
      name: 'domain', label: 'Domain', key: true,
      hint: 'A host name with an optional port (learn.example.com:8000); 1-100 characters, no spaces; unique, case-insensitive.',
      check: (v) => length(1, 100)(v) ?? (/\s/u.test(v) ? 'No whitespace.' : null),
    },
    { name: 'name', label: 'Name', hint: '1-50 characters.', check: length(1, 50) },
    {
      name: 'partner', label: 'Partner short code', optional: true,
      hint: 'Optional: the partner this site is configured for. Empty clears it.',
      check: (v) => (v === '' || /^[A-Za-z0-9_-]{1,8}$/.test(v) ? null : 'A partner short code: 1-8 of A-Z, a-z, 0-9, _ or -.'),
    },
  ],
};

const FIELD = `[${WORD}\\-~.:]+`;
const COURSE_KEY = [
  `^course-v1:${FIELD}\\+${FIELD}\\+${FIELD}(\\+branch@${FIELD})?(\\+version@[0-9a-fA-F]{24})?$`,
  `^library-v1:${FIELD}\\+${FIELD}(\\+branch@${FIELD})?(\\+version@[0-9a-fA-F]{24})?$`,
  `^lib:[A-Za-z0-9_.-]+:[${WORD}.-]+$`,
  `^[${WORD}.%-]+/[${WORD}.%-]+/[${WORD}.%-]*$`,
].map((re) => new RegExp(re, 'u'));

export function courseKeyError(v) {
  if (v === '') return 'Required.';
  return COURSE_KEY.some((re) => re.test(v)) ? null
    : 'Not a course key: course-v1:ORG+COURSE+RUN, ORG/COURSE/RUN, library-v1:ORG+LIBRARY or lib:ORG:SLUG.';
}

export const SUBJECT_HINT = 'The username (preferred_username) of the person, as the LMS names them.';

// ---- permissions -----------------------------------------------------------------------

const same = (a, b) => (a ?? '').toLowerCase() === (b ?? '').toLowerCase();
const allow = { ok: true, why: null };
const deny = (why) => ({ ok: false, why });

function holds(viewer, role, { partner, organization } = {}) {
  return viewer.grants.some((g) => g.role === role
    && (partner === undefined || same(g.partner?.shortCode, partner))
    && (organization === undefined || same(g.organization?.shortName, organization)));
}

const orgLimited = (viewer) => viewer.filters.some((f) => f.startsWith('content_org:'));

/** Whether the caller may write at all; the reason when not. */
export function canWrite(viewer) {
  if (!viewer?.subject) return deny('Sign in to make changes: anonymous callers only read the public directory.');
  if (viewer.restricted) return deny('Your token is read-only (is_restricted): every change is refused.');
  return allow;
}

const then = (first, next) => (first.ok ? next() : first);

export function canCreate(viewer, kind) {
  return then(canWrite(viewer), () => (viewer.administrator ? allow
    : deny(`Only administrators create ${kind === 'organization' ? 'organizations' : `${kind}s`}.`)));
}

/** `partners`: the short codes of the organization's partners. */
export function canEditOrganization(viewer, shortName, partners = []) {
  return then(canWrite(viewer), () => (viewer.administrator
    || holds(viewer, 'ORG_ADMIN', { organization: shortName })
    || partners.some((p) => holds(viewer, 'PARTNER_ADMIN', { partner: p }))
    ? allow : deny(`Changing ${shortName} needs ORG_ADMIN on it, PARTNER_ADMIN on one of its partners, or administrator.`)));
}

/** Partners, their sites and memberships. */
export function canEditPartner(viewer, shortCode) {
  return then(canWrite(viewer), () => {
    if (viewer.administrator) return allow;
    if (orgLimited(viewer)) return deny('Your token is limited to some organizations (content_org filter): it changes no partner or site.');
    if (shortCode && holds(viewer, 'PARTNER_ADMIN', { partner: shortCode })) return allow;
    return deny(shortCode ? `Changing partner ${shortCode} needs PARTNER_ADMIN on it, or administrator.`
      : 'Changing a site without a partner needs administrator.');
  });
}

/** Memberships seen from an organization: they change a partner or a site. */
export function canEditMemberships(viewer) {
  return then(canWrite(viewer), () => (viewer.administrator
    || (!orgLimited(viewer) && viewer.grants.some((g) => g.role === 'PARTNER_ADMIN'))
    ? allow : deny('Memberships change a partner or a site: they need PARTNER_ADMIN on it, or administrator.')));
}

/** The roles the caller may grant or revoke on an organization or a partner. */
export function grantableRoles(viewer, { organization, partners = [], partner }) {
  if (!canWrite(viewer).ok) return [];
  if (viewer.administrator) return partner ? ['PARTNER_ADMIN'] : ['ORG_ADMIN', 'ORG_STAFF'];
  if (partner) return [];
  if (partners.some((p) => holds(viewer, 'PARTNER_ADMIN', { partner: p }))) return ['ORG_ADMIN', 'ORG_STAFF'];
  if (holds(viewer, 'ORG_ADMIN', { organization })) return ['ORG_STAFF'];
  return [];
}

export function grantReason(viewer, roles, target) {
  const write = canWrite(viewer);
  if (!write.ok) return write.why;
  if (roles.length === 0) {
    return `Granting roles on ${target} needs administrator${target.startsWith('partner') ? '' : ', PARTNER_ADMIN on one of its partners, or ORG_ADMIN (for ORG_STAFF)'}.`;
  }
  return roles.length === 1 && roles[0] === 'ORG_STAFF'
    ? 'As ORG_ADMIN you give and take ORG_STAFF only; admins are made by partner admins and administrators.' : null;
}
