"""Synthetic CRM data: a coherent company's records at any size, reproducible from a seed.

Every record is a pure function of (seed, module, index): record i of a module draws from its own
random stream, and a reference to "account j" is computed from j's id block, so records stream out
in dependency order without holding the set in memory (100k records per module stay flat).  The
same generator with small counts and a fixed seed made the demo set (fixtures/demo/).

Coherence: contacts work for an organisation (email at its domain, address in its city), deals
belong to an organisation and one of its contacts and cover every sales stage, tickets come from a
customer's contact about a product, quotes and invoices bill an organisation for products and
services at their list prices with totals that add up, comments and activities hang off those
records.  Values of picklist fields come from the profile's describe data.

No Faker: its output changes between releases (a seed would not give the same set on another
machine), it is a large dependency, and the few word lists below read as a plausible company.
"""

from __future__ import annotations

import random
import time
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from vtiger_mock.crm.modules import ModuleRegistry
from vtiger_mock.crm.schema import ModuleMeta

# "Now" for generated data: fixed, so a seed gives the same records whenever it runs.
BASE_EPOCH = 1_751_284_800  # 2025-06-30 12:00:00 UTC
DAY = 86_400

# Dependency order: every reference points to a module generated earlier (or to itself).
MODULES: tuple[str, ...] = (
    "Vendors",
    "Products",
    "Services",
    "Campaigns",
    "Accounts",
    "Contacts",
    "Leads",
    "Potentials",
    "HelpDesk",
    "Quotes",
    "Invoice",
    "Documents",
    "Calendar",
    "Events",
    "ModComments",
)

_PLACES = (
    "North", "South", "East", "West", "Blue", "Red", "Green", "Silver", "Golden", "Bright",
    "Clear", "Swift", "Summit", "Harbor", "River", "Lake", "Pine", "Oak", "Cedar", "Maple",
    "Granite", "Iron", "Stone", "Sun", "Star", "Cloud", "Peak", "Valley", "Coastal", "Urban",
    "Prime", "Nova", "Apex", "Vertex", "Atlas", "Orion", "Zenith", "Polar", "Crest", "Meridian",
)  # fmt: skip
# Business word → industry picklist value.
_TRADES: tuple[tuple[str, str], ...] = (
    ("Analytics", "Consulting"), ("Logistics", "Transportation"), ("Systems", "Technology"),
    ("Foods", "Food & Beverage"), ("Dynamics", "Manufacturing"), ("Solutions", "Consulting"),
    ("Labs", "Biotechnology"), ("Media", "Media"), ("Energy", "Energy"), ("Health", "Healthcare"),
    ("Advisory", "Finance"), ("Engineering", "Engineering"), ("Robotics", "Machinery"),
    ("Textiles", "Apparel"), ("Pharma", "Biotechnology"), ("Capital", "Finance"),
    ("Insurance", "Insurance"), ("Software", "Technology"), ("Networks", "Communications"),
    ("Motors", "Manufacturing"), ("Design", "Consulting"), ("Builders", "Construction"),
    ("Farms", "Food & Beverage"), ("Retail", "Retail"), ("Telecom", "Telecommunications"),
    ("Travel", "Hospitality"), ("Studios", "Entertainment"), ("Outfitters", "Retail"),
    ("Chemicals", "Chemicals"), ("Utilities", "Utilities"),
)  # fmt: skip
# Legal form → web domain ending, so the domain matches the country the suffix suggests.
_FORMS: tuple[tuple[str, str], ...] = (
    ("Inc.", "com"), ("Ltd", "co.uk"), ("LLC", "com"), ("GmbH", "de"), ("Corp.", "com"),
    ("Group", "com"), ("S.A.", "es"), ("B.V.", "nl"), ("AG", "ch"), ("PLC", "co.uk"),
    ("SARL", "fr"), ("Pty Ltd", "com.au"),
)  # fmt: skip
_CITIES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "com": (("Austin", "TX", "78701"), ("Denver", "CO", "80202"), ("Boston", "MA", "02108"),
            ("Seattle", "WA", "98101"), ("Chicago", "IL", "60601"), ("Atlanta", "GA", "30303")),
    "co.uk": (("Manchester", "Greater Manchester", "M1 1AE"), ("Leeds", "West Yorkshire", "LS1 4DY"),
              ("Bristol", "Bristol", "BS1 4DJ"), ("London", "Greater London", "EC1A 1BB")),
    "de": (("Hamburg", "Hamburg", "20095"), ("Munich", "Bavaria", "80331"), ("Cologne", "NRW", "50667")),
    "es": (("Madrid", "Madrid", "28013"), ("Valencia", "Valencia", "46002")),
    "nl": (("Rotterdam", "South Holland", "3011"), ("Utrecht", "Utrecht", "3511")),
    "ch": (("Zurich", "Zurich", "8001"), ("Basel", "Basel-Stadt", "4051")),
    "fr": (("Lyon", "Auvergne-Rhone-Alpes", "69002"), ("Nantes", "Pays de la Loire", "44000")),
    "com.au": (("Melbourne", "VIC", "3000"), ("Brisbane", "QLD", "4000")),
}  # fmt: skip
_COUNTRIES = {
    "com": "USA", "co.uk": "United Kingdom", "de": "Germany", "es": "Spain", "nl": "Netherlands",
    "ch": "Switzerland", "fr": "France", "com.au": "Australia",
}  # fmt: skip
_PHONE_PREFIX = {
    "com": "+1 512", "co.uk": "+44 161", "de": "+49 40", "es": "+34 91", "nl": "+31 10",
    "ch": "+41 44", "fr": "+33 4", "com.au": "+61 3",
}  # fmt: skip
_STREETS = (
    "Main Street", "High Street", "Market Street", "Park Avenue", "Station Road", "Church Street",
    "Mill Road", "King Street", "Queen Street", "Harbour Road", "Elm Street", "Bridge Street",
    "Riverside Drive", "Commerce Way", "Innovation Drive", "Canal Street",
)  # fmt: skip
_FIRST = (
    "Olivia", "Liam", "Emma", "Noah", "Amelia", "Oliver", "Sophia", "Elijah", "Mia", "Lucas",
    "Aisha", "Mateo", "Priya", "Kenji", "Fatima", "Diego", "Ingrid", "Tomasz", "Chloe", "Arjun",
    "Hannah", "Samuel", "Leila", "Jonas", "Grace", "Malik", "Elena", "Hugo", "Zara", "Felix",
    "Nora", "Omar", "Clara", "Ravi", "Julia", "Ethan", "Yuki", "Marco", "Sara", "Daniel",
)  # fmt: skip
_LAST = (
    "Smith", "Johnson", "Garcia", "Müller", "Rossi", "Nguyen", "Kowalski", "Okafor", "Tanaka",
    "Patel", "Andersson", "Dubois", "Silva", "Murphy", "Cohen", "Schneider", "Lopez", "Brown",
    "Wilson", "Haddad", "Novak", "Jensen", "Fischer", "Moreau", "Costa", "Kim", "Singh", "Walker",
    "Hughes", "Berg", "Romano", "Ali", "Young", "Clarke", "Weber", "Ivanova", "Santos", "Evans",
)  # fmt: skip
_TITLES = (
    ("CEO", "Management"), ("CFO", "Finance"), ("CTO", "IT"), ("Head of Sales", "Sales"),
    ("Purchasing Manager", "Purchasing"), ("Operations Director", "Operations"),
    ("IT Manager", "IT"), ("Office Manager", "Administration"), ("Marketing Lead", "Marketing"),
    ("Procurement Specialist", "Purchasing"), ("Project Manager", "Operations"),
    ("Finance Director", "Finance"), ("Support Lead", "Customer Service"),
)  # fmt: skip
# name, category, list price, usage unit, manufacturer
_PRODUCTS: tuple[tuple[str, str, float, str, str], ...] = (
    ("Laptop Pro 14", "Hardware", 1450.0, "Each", "MetBeat Corp"),
    ("Docking Station USB-C", "Hardware", 189.0, "Each", "MetBeat Corp"),
    ("27-inch 4K Monitor", "Hardware", 399.0, "Each", "LexPon Inc."),
    ("Wireless Keyboard and Mouse", "Hardware", 79.0, "Each", "LexPon Inc."),
    ("Network Switch 24-port", "Hardware", 620.0, "Each", "AltvetPet Inc."),
    ("Firewall Appliance", "Hardware", 1890.0, "Each", "AltvetPet Inc."),
    ("NAS 4-bay", "Hardware", 749.0, "Each", "AltvetPet Inc."),
    ("Wi-Fi 6 Access Point", "Hardware", 259.0, "Each", "AltvetPet Inc."),
    ("UPS 1500VA", "Hardware", 329.0, "Each", "LexPon Inc."),
    ("VoIP Desk Phone", "Hardware", 149.0, "Each", "MetBeat Corp"),
    ("Noise-cancelling Headset", "Hardware", 119.0, "Each", "MetBeat Corp"),
    ("Label Printer", "Hardware", 210.0, "Each", "LexPon Inc."),
    ("CRM Professional License", "CRM Applications", 35.0, "Quantity", "LexPon Inc."),
    ("CRM Enterprise License", "CRM Applications", 60.0, "Quantity", "LexPon Inc."),
    ("Customer Portal Add-on", "CRM Applications", 900.0, "Each", "LexPon Inc."),
    ("Backup Software Suite", "Software", 480.0, "Each", "AltvetPet Inc."),
    ("Endpoint Security (per seat)", "Software", 42.0, "Quantity", "AltvetPet Inc."),
    ("Office Productivity Suite", "Software", 99.0, "Quantity", "MetBeat Corp"),
    ("Reporting & BI Module", "Software", 1200.0, "Each", "LexPon Inc."),
    ("Email Marketing Module", "Software", 650.0, "Each", "LexPon Inc."),
)
# name, category, price, usage unit
_SERVICES: tuple[tuple[str, str, float, str], ...] = (
    ("On-site Installation", "Installation", 95.0, "Hours"),
    ("Remote Installation", "Installation", 75.0, "Hours"),
    ("Data Migration", "Migration", 850.0, "Days"),
    ("Legacy CRM Migration", "Migration", 4200.0, "Incidents"),
    ("Custom Integration", "Customization", 950.0, "Days"),
    ("Workflow Customization", "Customization", 120.0, "Hours"),
    ("Administrator Training", "Training", 780.0, "Days"),
    ("End-user Training", "Training", 540.0, "Days"),
    ("Premium Support", "Support", 180.0, "Incidents"),
    ("Annual Health Check", "Support", 1100.0, "Incidents"),
)
_SUPPLY = ("Supply", "Distribution", "Wholesale", "Components", "Trading")
_TICKETS = (
    "Cannot log in after password reset", "Invoice PDF shows wrong VAT rate", "Sync with mail server fails",
    "Slow search in the contacts list", "Access point drops connections", "Licence key not accepted",
    "Report export times out", "Duplicate records after import", "Printer not recognised after update",
    "Request: add a custom field to quotes", "Backup job failed overnight", "Headset microphone crackles",
    "Calendar invitations arrive late", "Need a copy of last month's invoice", "Firewall blocks the VPN",
    "Dashboard widgets are empty", "Mobile app crashes on start", "Monitor flickers at 60 Hz",
    "Question about the renewal terms", "Users locked out after too many attempts",
)  # fmt: skip
_TASKS = (
    "Send revised proposal", "Call back about renewal", "Prepare product demo", "Follow up on overdue invoice",
    "Check delivery status", "Update contact details", "Draft onboarding plan", "Collect requirements",
    "Book training dates", "Confirm purchase order", "Send case study", "Review contract redlines",
)  # fmt: skip
_MEETINGS = (
    "Discovery call", "Product demo", "Quarterly business review", "Onboarding kick-off",
    "Contract negotiation", "Site visit", "Technical workshop", "Renewal discussion",
)  # fmt: skip
_DOCUMENTS = (
    "Master Services Agreement", "Price List 2025", "Product Brochure", "Onboarding Checklist",
    "Mutual NDA", "Security Whitepaper", "Implementation Plan", "Support Terms", "Case Study",
    "Data Processing Agreement",
)  # fmt: skip
_COMMENTS = (
    "Spoke with {contact}; they want a revised quote by Friday.",
    "Customer confirmed the budget for Q{quarter}.",
    "Sent the brochure and pricing to {contact}.",
    "Escalated to second-level support.",
    "{contact} asked for a reference customer in the same industry.",
    "Waiting for the signed purchase order.",
    "Issue reproduced on our side, fix scheduled for the next release.",
    "Follow-up call booked with {contact}.",
    "Discount approved by sales management.",
    "Customer is happy with the onboarding so far.",
)  # fmt: skip
_CAMPAIGN_THEMES = ("Spring Launch", "Summer Promo", "Autumn Roadshow", "Year-end Offer", "Partner Summit")
_LEAD_NEEDS = ("CRM rollout", "Network refresh", "Laptop fleet", "Support contract", "Data migration")
_STAGE_PROBABILITY = {
    "Prospecting": 10, "Qualification": 20, "Needs Analysis": 25, "Value Proposition": 30,
    "Id. Decision Makers": 40, "Perception Analysis": 50, "Proposal or Price Quote": 65,
    "Negotiation or Review": 80, "Closed Won": 100, "Closed Lost": 0,
}  # fmt: skip


@dataclass(frozen=True)
class Company:
    name: str
    domain: str
    industry: str
    city: str
    state: str
    code: str
    country: str
    street: str
    phone: str


# gmtime + formatting rather than strftime: strftime was the largest single cost of generating.
def _date(epoch: int) -> str:
    t = time.gmtime(epoch)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}"


def _stamp(epoch: int) -> str:
    t = time.gmtime(epoch)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"


def _addresses(c: Any) -> dict[str, str]:
    """The billing and shipping address of a company: the same place, as most small firms have."""
    parts = {"street": c.street, "city": c.city, "state": c.state, "code": c.code, "country": c.country}
    return {f"{side}_{k}": v for side in ("bill", "ship") for k, v in parts.items()}


def _money(value: float) -> str:
    return f"{value:.2f}"


def _ascii(text: str) -> str:
    return text.replace("ü", "u").replace("ö", "o").replace("ä", "a").lower()


class SyntheticData:
    """`counts` per module (any of MODULES); records() yields (module, printed record) pairs."""

    def __init__(
        self,
        modules: ModuleRegistry,
        counts: Mapping[str, int],
        *,
        seed: int,
        first_id: int,
        owners: Sequence[int] = (1,),
        base_epoch: int = BASE_EPOCH,
    ) -> None:
        unsupported = sorted(set(counts) - set(MODULES))
        if unsupported:
            raise ValueError(
                f"no synthetic data for {', '.join(unsupported)} (supported: {', '.join(MODULES)})"
            )
        bad = sorted(name for name, n in counts.items() if n < 0)
        if bad:
            raise ValueError(f"record counts must not be negative: {', '.join(bad)}")
        self.modules = modules
        self.seed = seed
        self.owners = tuple(owners) or (1,)
        self.base = base_epoch
        self.counts = {name: int(counts.get(name, 0)) for name in MODULES}
        self._start: dict[str, int] = {}
        next_id = first_id
        for name in MODULES:
            self._start[name] = next_id
            next_id += self.counts[name]
        self._picklists = {name: self._picklist_values(modules[name]) for name in MODULES}
        self.line_items: dict[str, list[dict[str, str]]] = {}

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def records(self) -> Iterator[tuple[str, dict[str, Any]]]:
        makers = {
            "Vendors": self.vendor, "Products": self.product, "Services": self.service,
            "Campaigns": self.campaign, "Accounts": self.account, "Contacts": self.contact,
            "Leads": self.lead, "Potentials": self.potential, "HelpDesk": self.ticket,
            "Quotes": self.quote, "Invoice": self.invoice, "Documents": self.document,
            "Calendar": self.task, "Events": self.event, "ModComments": self.comment,
        }  # fmt: skip
        for name in MODULES:
            make = makers[name]
            for i in range(self.counts[name]):
                yield name, make(i)

    # ------------------------------------------------------------------ plumbing

    def _rng(self, stream: str, i: int) -> random.Random:
        # Integer seeds: fast, and identical on every platform and Python process.
        return random.Random((self.seed * 1_000_003 + zlib.crc32(stream.encode())) * 10_000_019 + i)

    def ref(self, module: str, i: int) -> str:
        return f"{self.modules[module].id_prefix}x{self._start[module] + i}"

    def _has(self, module: str) -> bool:
        return self.counts[module] > 0

    def _pick_index(self, module: str, rng: random.Random) -> int | None:
        return rng.randrange(self.counts[module]) if self._has(module) else None

    def _picklist_values(self, module: ModuleMeta) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for f in module.fields:
            values = ((f.describe or {}).get("type") or {}).get("picklistValues")
            if values:
                out[f.name] = [str(v["value"]) for v in values]
        return out

    def _choice(self, module: str, field: str, rng: random.Random, fallback: str = "") -> str:
        values = self._picklists[module].get(field)
        return rng.choice(values) if values else fallback

    def _owner(self, rng: random.Random) -> str:
        return f"{self.modules['Users'].id_prefix}x{rng.choice(self.owners)}"

    def _times(self, rng: random.Random, max_age_days: int = 365) -> tuple[int, dict[str, str]]:
        created = self.base - rng.randrange(max_age_days * DAY)
        modified = created + rng.randrange(max(1, min(self.base - created, 60 * DAY)))
        return created, {"createdtime": _stamp(created), "modifiedtime": _stamp(modified)}

    def person(self, stream: str, i: int) -> tuple[str, str]:
        rng = self._rng(stream + ".name", i)
        return rng.choice(_FIRST), rng.choice(_LAST)

    # ------------------------------------------------------------------ organisations

    def company(self, i: int, stream: str = "company") -> Company:
        """Organisation i: names are unique (a permutation of the name space, then numbered)."""
        space = len(_PLACES) * len(_TRADES) * len(_FORMS)
        # 7919 is prime and does not divide `space`: i → k is a bijection that scatters the names.
        k = (i * 7919 + zlib.crc32(stream.encode()) + self.seed) % space
        place = _PLACES[k % len(_PLACES)]
        trade, industry = _TRADES[(k // len(_PLACES)) % len(_TRADES)]
        form, tld = _FORMS[k // (len(_PLACES) * len(_TRADES))]
        round_ = i // space
        name = f"{place} {trade} {form}" + (f" {round_ + 1}" if round_ else "")
        rng = self._rng(stream + ".place", i)
        city, state, code = rng.choice(_CITIES[tld])
        domain = f"{_ascii(place)}{_ascii(trade)}{round_ + 1 if round_ else ''}.{tld}"
        street = f"{rng.randrange(1, 250)} {rng.choice(_STREETS)}"
        phone = f"{_PHONE_PREFIX[tld]} {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}"
        return Company(name, domain, industry, city, state, code, _COUNTRIES[tld], street, phone)

    def account(self, i: int) -> dict[str, Any]:
        rng = self._rng("Accounts", i)
        c = self.company(i)
        _, times = self._times(rng, 730)
        employees = rng.choice((8, 15, 40, 120, 350, 900, 2500))
        parent = ""
        if i >= 10 and rng.random() < 0.08:  # a few subsidiaries of earlier organisations
            parent = self.ref("Accounts", rng.randrange(i))
        return {
            "id": self.ref("Accounts", i),
            "accountname": c.name,
            "phone": c.phone,
            "website": f"https://www.{c.domain}",
            "email1": f"info@{c.domain}",
            "employees": str(employees),
            "industry": c.industry if c.industry in self._picklists["Accounts"].get("industry", []) else "",
            "accounttype": rng.choice(
                ("Customer", "Customer", "Customer", "Prospect", "Partner", "Reseller")
            ),
            "rating": self._choice("Accounts", "rating", rng),
            "annual_revenue": _money(employees * rng.randrange(80, 220) * 1000),
            "ownership": rng.choice(("Private", "Public", "Subsidiary")),
            "account_id": parent,
            "assigned_user_id": self._owner(rng),
            **_addresses(c),
            "description": f"{c.industry} company based in {c.city}.",
            **times,
        }

    def vendor(self, i: int) -> dict[str, Any]:
        rng = self._rng("Vendors", i)
        c = self.company(i, "vendor")
        name = f"{c.name.split()[0]} {_SUPPLY[i % len(_SUPPLY)]}" + (f" {i // 200 + 1}" if i >= 200 else "")
        _, times = self._times(rng, 900)
        return {
            "id": self.ref("Vendors", i),
            "vendorname": name,
            "phone": c.phone,
            "email": f"orders@{c.domain}",
            "website": f"https://{c.domain}",
            "category": rng.choice(("Hardware", "Software", "Services")),
            "glacct": self._choice("Vendors", "glacct", rng),
            "street": c.street,
            "city": c.city,
            "state": c.state,
            "postalcode": c.code,
            "country": c.country,
            "assigned_user_id": self._owner(rng),
            **times,
        }

    # ------------------------------------------------------------------ catalogue

    def product_price(self, i: int) -> float:
        base = _PRODUCTS[i % len(_PRODUCTS)][2]
        return base if i < len(_PRODUCTS) else round(base * (1 + (i // len(_PRODUCTS)) * 0.05), 2)

    def product(self, i: int) -> dict[str, Any]:
        rng = self._rng("Products", i)
        name, category, _, unit, maker = _PRODUCTS[i % len(_PRODUCTS)]
        generation = i // len(_PRODUCTS)
        price = self.product_price(i)
        _, times = self._times(rng, 900)
        vendor = self._pick_index("Vendors", rng)
        start = self.base - rng.randrange(200, 900) * DAY
        return {
            "id": self.ref("Products", i),
            "productname": name + (f" (Gen {generation + 1})" if generation else ""),
            "productcode": f"{category[:2].upper()}-{1000 + i}",
            "productcategory": category,
            "manufacturer": maker,
            "vendor_id": self.ref("Vendors", vendor) if vendor is not None else "",
            "unit_price": _money(price),
            "purchase_cost": _money(price * 0.62),
            "usageunit": unit,
            "qty_per_unit": "1",
            "qtyinstock": str(rng.randrange(0, 400)) if category == "Hardware" else "0",
            "reorderlevel": "20" if category == "Hardware" else "0",
            "sales_start_date": _date(start),
            "start_date": _date(start),
            "mfr_part_no": f"MP-{rng.randrange(10000, 99999)}",
            "vendor_part_no": f"VP-{rng.randrange(10000, 99999)}",
            "glacct": "301-Sales-Hardware" if category == "Hardware" else "300-Sales-Software",
            "description": f"{name} ({category.lower()}).",
            "assigned_user_id": self._owner(rng),
            "currency_id": f"{self.modules['Currency'].id_prefix}x1",
            **times,
        }

    def service_price(self, i: int) -> float:
        base = _SERVICES[i % len(_SERVICES)][2]
        return base if i < len(_SERVICES) else round(base * (1 + (i // len(_SERVICES)) * 0.05), 2)

    def service(self, i: int) -> dict[str, Any]:
        rng = self._rng("Services", i)
        name, category, _, unit = _SERVICES[i % len(_SERVICES)]
        tier = i // len(_SERVICES)
        _, times = self._times(rng, 900)
        return {
            "id": self.ref("Services", i),
            "servicename": name + (f" – tier {tier + 1}" if tier else ""),
            "servicecategory": category,
            "service_usageunit": unit,
            "unit_price": _money(self.service_price(i)),
            "qty_per_unit": "1",
            "sales_start_date": _date(self.base - rng.randrange(200, 900) * DAY),
            "description": f"{name}, billed per {unit.lower().rstrip('s')}.",
            "assigned_user_id": self._owner(rng),
            "currency_id": f"{self.modules['Currency'].id_prefix}x1",
            **times,
        }

    def campaign(self, i: int) -> dict[str, Any]:
        rng = self._rng("Campaigns", i)
        created, times = self._times(rng, 400)
        year = datetime.fromtimestamp(created, UTC).year
        kind = self._choice("Campaigns", "campaigntype", rng, "Webinar")
        product = self._pick_index("Products", rng)
        budget = rng.randrange(2, 40) * 500
        return {
            "id": self.ref("Campaigns", i),
            "campaignname": f"{_CAMPAIGN_THEMES[i % len(_CAMPAIGN_THEMES)]} {year} – {kind}"
            + (f" #{i // len(_CAMPAIGN_THEMES) + 1}" if i >= len(_CAMPAIGN_THEMES) else ""),
            "campaigntype": kind,
            "campaignstatus": self._choice("Campaigns", "campaignstatus", rng, "Active"),
            "closingdate": _date(created + rng.randrange(30, 120) * DAY),
            "product_id": self.ref("Products", product) if product is not None else "",
            "expectedresponse": self._choice("Campaigns", "expectedresponse", rng),
            "targetaudience": rng.choice(("IT managers", "Finance teams", "Small businesses", "Partners")),
            "targetsize": str(rng.randrange(200, 5000)),
            "budgetcost": _money(budget),
            "actualcost": _money(budget * rng.uniform(0.7, 1.1)),
            "expectedrevenue": _money(budget * rng.randrange(3, 12)),
            "assigned_user_id": self._owner(rng),
            **times,
        }

    # ------------------------------------------------------------------ people

    def contact_account(self, i: int) -> int | None:
        """Contacts are spread evenly over organisations (about three each in the demo)."""
        return i % self.counts["Accounts"] if self._has("Accounts") else None

    def account_contact(self, account: int, rng: random.Random) -> int | None:
        """One of the contacts of an organisation (inverse of contact_account), if it has any."""
        n_accounts, n_contacts = self.counts["Accounts"], self.counts["Contacts"]
        if not n_contacts or not n_accounts or account >= n_contacts:
            return None
        per_account = (n_contacts - 1 - account) // n_accounts + 1
        return account + rng.randrange(per_account) * n_accounts

    def contact_name(self, i: int) -> tuple[str, str]:
        return self.person("Contacts", i)

    def contact(self, i: int) -> dict[str, Any]:
        rng = self._rng("Contacts", i)
        first, last = self.contact_name(i)
        account = self.contact_account(i)
        c = self.company(account) if account is not None else self.company(i, "private")
        title, department = rng.choice(_TITLES)
        _, times = self._times(rng, 600)
        birthday = self.base - rng.randrange(24 * 365, 64 * 365) * DAY
        return {
            "id": self.ref("Contacts", i),
            "salutationtype": rng.choice(("Mr.", "Ms.", "Mrs.", "Dr.", "--None--")),
            "firstname": first,
            "lastname": last,
            "account_id": self.ref("Accounts", account) if account is not None else "",
            "email": f"{_ascii(first)}.{_ascii(last)}@{c.domain}",
            "phone": f"{c.phone[:-4]}{rng.randrange(1000, 9999)}",
            "mobile": f"{c.phone.split()[0]} 7{rng.randrange(100, 999)} {rng.randrange(100000, 999999)}",
            "title": title,
            "department": department,
            "leadsource": self._choice("Contacts", "leadsource", rng),
            "birthday": _date(birthday),
            "mailingstreet": c.street,
            "mailingcity": c.city,
            "mailingstate": c.state,
            "mailingzip": c.code,
            "mailingcountry": c.country,
            "emailoptout": "1" if rng.random() < 0.1 else "0",
            "assigned_user_id": self._owner(rng),
            **times,
        }

    def lead(self, i: int) -> dict[str, Any]:
        rng = self._rng("Leads", i)
        first, last = self.person("Leads", i)
        c = self.company(i, "lead")
        _, times = self._times(rng, 300)
        return {
            "id": self.ref("Leads", i),
            "salutationtype": rng.choice(("Mr.", "Ms.", "Dr.", "--None--")),
            "firstname": first,
            "lastname": last,
            "company": c.name,
            "designation": rng.choice(_TITLES)[0],
            "email": f"{_ascii(first)}@{c.domain}",
            "phone": c.phone,
            "website": f"https://www.{c.domain}",
            "industry": c.industry if c.industry in self._picklists["Leads"].get("industry", []) else "",
            "leadsource": self._choice("Leads", "leadsource", rng),
            "leadstatus": self._choice("Leads", "leadstatus", rng),
            "rating": self._choice("Leads", "rating", rng),
            "annualrevenue": _money(rng.randrange(5, 500) * 10000),
            "noofemployees": str(rng.choice((5, 12, 30, 80, 200, 650))),
            "lane": c.street,
            "city": c.city,
            "state": c.state,
            "code": c.code,
            "country": c.country,
            "description": f"Interested in: {rng.choice(_LEAD_NEEDS)}.",
            "assigned_user_id": self._owner(rng),
            **times,
        }

    # ------------------------------------------------------------------ sales

    def potential_account(self, i: int) -> int | None:
        rng = self._rng("Potentials.account", i)
        return self._pick_index("Accounts", rng)

    def potential(self, i: int) -> dict[str, Any]:
        rng = self._rng("Potentials", i)
        stages = self._picklists["Potentials"].get("sales_stage") or list(_STAGE_PROBABILITY)
        stage = stages[i % len(stages)]  # every stage, evenly
        probability = _STAGE_PROBABILITY.get(stage, 50)
        account = self.potential_account(i)
        contact = self.account_contact(account, rng) if account is not None else None
        created, times = self._times(rng, 365)
        closed = stage.startswith("Closed")
        closing = (
            created + rng.randrange(20, 120) * DAY if closed else self.base + rng.randrange(10, 150) * DAY
        )
        if closed:
            closing = min(closing, self.base)
        amount = rng.randrange(4, 200) * 500
        what = rng.choice(_PRODUCTS)[0] if rng.random() < 0.6 else rng.choice(_SERVICES)[0]
        account_name = self.company(account).name if account is not None else "New customer"
        campaign = self._pick_index("Campaigns", rng) if rng.random() < 0.3 else None
        return {
            "id": self.ref("Potentials", i),
            "potentialname": f"{account_name} – {what}",
            "amount": _money(amount),
            "related_to": self.ref("Accounts", account) if account is not None else "",
            "contact_id": self.ref("Contacts", contact) if contact is not None else "",
            "closingdate": _date(closing),
            "opportunity_type": self._choice("Potentials", "opportunity_type", rng),
            "leadsource": self._choice("Potentials", "leadsource", rng),
            "sales_stage": stage,
            "probability": f"{probability:.3f}",
            "forecast_amount": _money(amount * probability / 100),
            "nextstep": "" if closed else rng.choice(_TASKS),
            "campaignid": self.ref("Campaigns", campaign) if campaign is not None else "",
            "assigned_user_id": self._owner(rng),
            **times,
        }

    def ticket(self, i: int) -> dict[str, Any]:
        rng = self._rng("HelpDesk", i)
        account = self._pick_index("Accounts", rng)
        contact = self.account_contact(account, rng) if account is not None else None
        product = self._pick_index("Products", rng)
        _, times = self._times(rng, 180)
        status = self._choice("HelpDesk", "ticketstatus", rng, "Open")
        title = _TICKETS[i % len(_TICKETS)]
        return {
            "id": self.ref("HelpDesk", i),
            "ticket_title": title,
            "parent_id": self.ref("Accounts", account) if account is not None else "",
            "contact_id": self.ref("Contacts", contact) if contact is not None else "",
            "product_id": self.ref("Products", product) if product is not None else "",
            "ticketpriorities": self._choice("HelpDesk", "ticketpriorities", rng, "Normal"),
            "ticketseverities": self._choice("HelpDesk", "ticketseverities", rng),
            "ticketstatus": status,
            "ticketcategories": self._choice("HelpDesk", "ticketcategories", rng),
            "hours": _money(rng.randrange(0, 16) / 2),
            "description": f"{title}. Reported by the customer by email.",
            "solution": "Resolved remotely; customer confirmed." if status == "Closed" else "",
            "assigned_user_id": self._owner(rng),
            **times,
        }

    def _items(self, rng: random.Random) -> list[tuple[str, float, int]]:
        """Line items as (product or service ref, list price, quantity)."""
        items: list[tuple[str, float, int]] = []
        for _ in range(rng.randint(1, 4)):
            if self._has("Services") and (not self._has("Products") or rng.random() < 0.35):
                k = rng.randrange(self.counts["Services"])
                items.append((self.ref("Services", k), self.service_price(k), rng.randint(1, 10)))
            elif self._has("Products"):
                k = rng.randrange(self.counts["Products"])
                items.append((self.ref("Products", k), self.product_price(k), rng.choice((1, 2, 5, 10, 25))))
        return items

    def _inventory(self, module: str, i: int, rng: random.Random, account: int | None) -> dict[str, Any]:
        items = self._items(rng)
        total = sum(price * qty for _, price, qty in items)
        c = self.company(account) if account is not None else self.company(i, "walk-in")
        contact = self.account_contact(account, rng) if account is not None else None
        record: dict[str, Any] = {
            "account_id": self.ref("Accounts", account) if account is not None else "",
            "contact_id": self.ref("Contacts", contact) if contact is not None else "",
            "hdnTaxType": "group",
            "hdnSubTotal": _money(total),
            "pre_tax_total": _money(total),
            "hdnGrandTotal": _money(total),
            "hdnS_H_Amount": "0.00",
            "txtAdjustment": "0.00",
            "currency_id": f"{self.modules['Currency'].id_prefix}x1",
            "conversion_rate": "1.000",
            **_addresses(c),
            "terms_conditions": "Payment within 30 days of the invoice date.",
            "assigned_user_id": self._owner(rng),
        }
        if items:
            # The header's productid is what retrieve shows: the first line's product.
            record["productid"] = items[0][0]
            record["LineItems"] = [
                {"productid": ref, "quantity": str(qty), "listprice": _money(price), "comment": ""}
                for ref, price, qty in items
            ]
        return record

    def quote(self, i: int) -> dict[str, Any]:
        rng = self._rng("Quotes", i)
        potential = self._pick_index("Potentials", rng)
        account = (
            self.potential_account(potential) if potential is not None else self._pick_index("Accounts", rng)
        )
        created, times = self._times(rng, 240)
        record = self._inventory("Quotes", i, rng, account)
        name = self.company(account).name if account is not None else "Walk-in customer"
        record.update(
            id=self.ref("Quotes", i),
            subject=f"Quote {1000 + i} – {name}",
            potential_id=self.ref("Potentials", potential) if potential is not None else "",
            quotestage=self._choice("Quotes", "quotestage", rng, "Created"),
            validtill=_date(created + 30 * DAY),
            carrier=self._choice("Quotes", "carrier", rng),
            **times,
        )
        return record

    def invoice(self, i: int) -> dict[str, Any]:
        rng = self._rng("Invoice", i)
        account = self._pick_index("Accounts", rng)
        created, times = self._times(rng, 365)
        record = self._inventory("Invoice", i, rng, account)
        status = rng.choice(("Created", "Approved", "Sent", "Sent", "Paid", "Paid", "Paid", "Cancel"))
        total = float(record["hdnGrandTotal"])
        received = total if status == "Paid" else 0.0
        name = self.company(account).name if account is not None else "Walk-in customer"
        record.update(
            id=self.ref("Invoice", i),
            subject=f"{name} – {datetime.fromtimestamp(created, UTC):%B %Y}",
            invoicedate=_date(created),
            duedate=_date(created + 30 * DAY),
            invoicestatus=status,
            customerno=f"CUST-{(account or 0) + 1000}",
            received=_money(received),
            balance=_money(total - received),
            **times,
        )
        return record

    # ------------------------------------------------------------------ collaboration

    def document(self, i: int) -> dict[str, Any]:
        rng = self._rng("Documents", i)
        account = self._pick_index("Accounts", rng)
        title = _DOCUMENTS[i % len(_DOCUMENTS)]
        if account is not None and i % 2 == 0:
            title = f"{title} – {self.company(account).name}"
        slug = "-".join(_ascii(title).replace("–", "").split())
        _, times = self._times(rng, 500)
        return {
            "id": self.ref("Documents", i),
            "notes_title": title,
            "notecontent": f"{title}. Latest version, shared with the customer.",
            "filelocationtype": "E",
            "filename": f"https://files.example.com/docs/{i + 1}/{slug}.pdf",
            "filestatus": "1",
            "fileversion": f"1.{rng.randrange(0, 5)}",
            "folderid": f"{self.modules['DocumentFolders'].id_prefix}x1",
            "assigned_user_id": self._owner(rng),
            **times,
        }

    def _activity_parent(self, rng: random.Random) -> tuple[str, str]:
        """(parent_id, contact_id) for a task or event: a deal or an organisation and its contact."""
        if self._has("Potentials") and rng.random() < 0.5:
            p = rng.randrange(self.counts["Potentials"])
            account = self.potential_account(p)
            contact = self.account_contact(account, rng) if account is not None else None
            return self.ref("Potentials", p), self.ref("Contacts", contact) if contact is not None else ""
        account = self._pick_index("Accounts", rng)
        if account is None:
            return "", ""
        contact = self.account_contact(account, rng)
        return self.ref("Accounts", account), self.ref("Contacts", contact) if contact is not None else ""

    def task(self, i: int) -> dict[str, Any]:
        rng = self._rng("Calendar", i)
        parent, contact = self._activity_parent(rng)
        start = self.base + rng.randrange(-60, 45) * DAY
        status = "Completed" if start < self.base - 7 * DAY else self._choice("Calendar", "taskstatus", rng)
        hour = rng.randrange(8, 17)
        _, times = self._times(rng, 90)
        return {
            "id": self.ref("Calendar", i),
            "subject": _TASKS[i % len(_TASKS)],
            "activitytype": "Task",
            "date_start": _date(start),
            "time_start": f"{hour:02d}:00:00",
            "due_date": _date(start + rng.randrange(0, 7) * DAY),
            "taskstatus": status or "Not Started",
            "taskpriority": self._choice("Calendar", "taskpriority", rng, "Medium"),
            "parent_id": parent,
            "contact_id": contact,
            "visibility": "Private",
            "assigned_user_id": self._owner(rng),
            **times,
        }

    def event(self, i: int) -> dict[str, Any]:
        rng = self._rng("Events", i)
        parent, contact = self._activity_parent(rng)
        start = self.base + rng.randrange(-45, 45) * DAY
        hour = rng.randrange(8, 17)
        minutes = rng.choice((30, 60, 60, 90))
        end = datetime(2000, 1, 1, hour) + timedelta(minutes=minutes)
        kind = rng.choice(("Call", "Meeting", "Meeting"))
        status = "Held" if start < self.base else "Planned"
        subject = _MEETINGS[i % len(_MEETINGS)]
        _, times = self._times(rng, 90)
        return {
            "id": self.ref("Events", i),
            "subject": subject,
            "activitytype": kind,
            "date_start": _date(start),
            "time_start": f"{hour:02d}:00:00",
            "due_date": _date(start),
            "time_end": end.strftime("%H:%M:%S"),
            "duration_hours": str(minutes // 60),
            "duration_minutes": str(minutes % 60),
            "eventstatus": status,
            "location": "Video call" if kind == "Call" else "Customer office",
            "visibility": "Public",
            "parent_id": parent,
            "contact_id": contact,
            "assigned_user_id": self._owner(rng),
            **times,
        }

    def comment(self, i: int) -> dict[str, Any]:
        rng = self._rng("ModComments", i)
        targets = [m for m in ("Accounts", "Contacts", "Potentials", "HelpDesk") if self._has(m)]
        related = ""
        if targets:
            module = targets[i % len(targets)]
            related = self.ref(module, rng.randrange(self.counts[module]))
        first, last = (
            self.contact_name(rng.randrange(self.counts["Contacts"]))
            if self._has("Contacts")
            else ("the customer", "")
        )
        text = rng.choice(_COMMENTS).format(contact=f"{first} {last}".strip(), quarter=rng.randint(1, 4))
        owner = self._owner(rng)
        _, times = self._times(rng, 120)
        return {
            "id": self.ref("ModComments", i),
            "commentcontent": text,
            "related_to": related,
            "assigned_user_id": owner,
            "creator": owner,
            "is_private": "0",
            **times,
        }
