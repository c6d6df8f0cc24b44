#!/usr/bin/env python3
"""Write the built-in example documents into assets/examples/ (or the folder given as the first argument).

    python scripts/make_examples.py [OUTPUT_DIR]

Every text here was written for glyph-web; all companies, people, places, vessels and products are fictional.
The output is deterministic: no clock, no network, and no randomness except a fixed-seed generator defined here
(so that the result does not depend on the Python version). The generated files are committed, so the app loads
them without running this script; tests/test_examples.py checks that running it again gives the same bytes.

Examples (see examples_meta below, written to examples.json):
  pump-manual      a long English technical manual with one torque value deep inside
  supply-contract  a Chinese purchase contract (.docx) whose payment schedule is a Word table
  planning-day     three short files (email, meeting notes, price list); the answer needs two of them
  ship-log         a long ship's log with one access code hidden in it (needle in a haystack)
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "assets" / "examples"

MANUAL_FILE = "qm620_pump_manual.md"
CONTRACT_FILE = "equipment_purchase_contract_zh.docx"
SET_FILES = ["planning_day/email_lunch_order.txt", "planning_day/meeting_notes_2025-03-10.md",
             "planning_day/brightfield_price_list_2025.md"]
LOG_FILE = "rv_saltmarrow_deck_log.txt"

# The facts the ready questions ask about. Each must occur exactly once in its document (checked when writing).
MANUAL_FACT = ("Fit a new tab washer, screw on the impeller lock nut (M24, left-hand thread) and tighten it to "
               "94 N·m with a calibrated torque wrench while the shaft is held with the coupling spanner QT-11.")
MANUAL_VALUE = "94 N·m"
NEEDLE_CODE = "KC-58R3-0746-LN"
NEEDLE = (f"Chief Officer Tollefsen replaced the battery of the electronic key cabinet in the chart room and set a "
          f"new access code, {NEEDLE_CODE}; the Master asked for it to be recorded here.")


# ---------------------------------------------------------------------------------------------------------------
# Determinism helpers


def pick(key: str, options):
    """One of `options`, chosen by a hash of `key`: varied, but the same on every run and Python version."""
    h = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")
    return options[h % len(options)]


class Rng:
    """splitmix64: a tiny seeded generator whose sequence never changes (random.Random's helpers may)."""

    def __init__(self, seed: int) -> None:
        self.state = seed & 0xFFFFFFFFFFFFFFFF

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        return self.next() % n

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * (self.next() >> 11) / float(1 << 53)

    def choice(self, seq):
        return seq[self.below(len(seq))]

    def chance(self, p: float) -> bool:
        return self.uniform(0.0, 1.0) < p


def once(text: str, needle: str, what: str) -> None:
    count = text.count(needle)
    if count != 1:
        raise AssertionError(f"{what}: {needle!r} occurs {count} times, expected exactly once")


# ---------------------------------------------------------------------------------------------------------------
# 1. The pump manual (English, Markdown)

PRODUCT = "QM-620"
MAKER = "Quillmere Pumpworks"
CONTROLLER = "QC-7"

VARIANTS = [  # (model, stages, motor kW, weight kg, length mm)
    ("QM-620/3", 3, 7.5, 212, 1048),
    ("QM-620/4", 4, 11.0, 238, 1121),
    ("QM-620/5", 5, 11.0, 259, 1194),
    ("QM-620/6", 6, 15.0, 291, 1267),
    ("QM-620/8", 8, 18.5, 337, 1413),
    ("QM-620/10", 10, 22.0, 389, 1559),
]


def _head(q: float, stages: int) -> float:
    return stages * (15.8 - 0.0021 * q * q)


def _efficiency(q: float) -> float:
    x = q / 40.0
    return 0.745 * (2 * x - x * x) if q > 0 else 0.0


def manual_text() -> str:
    out: list[str] = []
    w = out.append

    w(f"# {MAKER} {PRODUCT} Multistage Centrifugal Pump")
    w("")
    w("## Installation, Operation and Maintenance Manual")
    w("")
    w(f"Document QPW-IOM-620-EN, revision D. Applies to all {PRODUCT} pump sets with the {CONTROLLER} pump "
      f"controller, serial numbers 620-24-0001 and later.")
    w("")
    w("This manual is a fictional example written for the glyph-web demonstration. The manufacturer, the product "
      "and every value in it are invented; do not use it to work on real equipment.")
    w("")
    w("Contents: 1 Safety. 2 Product description. 3 Technical data. 4 Transport and storage. 5 Installation. "
      "6 Commissioning. 7 The QC-7 controller and its parameters. 8 Operation. 9 Monitoring and sensors. "
      "10 Maintenance. 11 Disassembly and reassembly. 12 Troubleshooting. 13 Error codes. 14 Spare parts. "
      "15 Glossary. Appendix A: Operating log sheet. Appendix B: Revision history. Appendix C: Performance "
      "at other speeds. Appendix D: Modbus register map. Appendix E: Unit conversions. Appendix F: "
      "Frequently asked questions. Appendix G: Disposal and recycling. Appendix H: Warranty. Appendix I: "
      "Commissioning report form. Appendix J: Operator training checklist.")
    w("")
    for section in (_ch1_safety, _ch2_description, _ch2_accessories, _ch3_data, _ch3_liquids, _ch3_dimensions,
                    _ch4_transport, _ch4_preservation, _ch5_installation, _ch5_sizing, _ch5_electrical,
                    _ch6_commissioning, _ch6_more, _ch7_controller, _ch7_profiles, _ch7_more, _ch8_operation,
                    _ch8_energy, _ch9_monitoring, _ch9_calibration, _ch10_maintenance, _ch10_overhauls,
                    _ch11_disassembly, _ch11_test_run, _ch11_more, _ch12_troubleshooting, _ch12_cases,
                    _ch12_more_cases, _ch13_error_codes, _ch13_event_log, _ch13_checks, _ch14_spares,
                    _ch14_per_model, _ch15_glossary, _ch15_more_terms, _appendices, _appendix_speeds,
                    _appendix_modbus, _appendix_units, _appendix_faq, _appendix_environment, _appendix_forms,
                    _end):
        section(w)
    return "\n".join(out).rstrip("\n") + "\n"


def _ch1_safety(w) -> None:
    w("# 1 Safety")
    w("")
    w("## 1.1 About this manual")
    w("")
    w(f"Read this manual before you transport, install, start, operate, maintain or dismantle the {PRODUCT}. Keep "
      "it near the pump set for the whole service life of the equipment and hand it on to any later owner. "
      "Where a procedure in this manual differs from a local regulation, the stricter rule applies. Sections are "
      "numbered by chapter; a reference such as 'see 11.7' points to section 7 of chapter 11.")
    w("")
    w("Safety notes use three signal words. DANGER marks a hazard that will cause death or serious injury if it "
      "is not avoided. WARNING marks a hazard that could cause death or serious injury. CAUTION marks a hazard "
      "that could cause minor injury or damage to the pump, the piping or the plant around it. A note headed "
      "NOTE gives information that makes work easier but does not concern safety.")
    w("")
    hazards = [
        ("1.2", "Electrical hazards", "DANGER",
         "The motor and the QC-7 controller are supplied with 400 V three-phase power. Lethal voltages remain "
         "on the DC bus of the variable-speed drive for up to five minutes after the supply is switched off.",
         ["Isolate the supply at the main switch and lock it in the OFF position before opening any enclosure.",
          "Wait at least five minutes, then confirm with a voltage tester that the DC bus reads below 50 V.",
          "Only qualified electricians may work on the motor terminal box, the controller or the drive.",
          "Never bridge the motor thermistor input or the emergency-stop circuit, not even for testing."]),
        ("1.3", "Pressure and hot liquid", "WARNING",
         "The pump casing holds liquid under pressure, up to 25 bar on the discharge side. When the pumped "
         "liquid is hot, a leaking seal or an opened drain plug can release scalding liquid or steam.",
         ["Close the suction and discharge isolating valves before loosening any connection on the pump.",
          "Open the casing vent screw slowly and stand clear of the direction of the outlet.",
          "Let the pump cool below 40 °C before you touch the casing or open the seal housing.",
          "Wear face protection and gloves when you drain the pump."]),
        ("1.4", "Rotating parts", "WARNING",
         "The shaft and the coupling turn at up to 3,550 rpm. Loose clothing, long hair or a tool caught by the "
         "coupling can cause severe injury.",
         ["Never run the pump with the coupling guard removed.",
          "Do not reach into the coupling area while the pump can start; the controller can restart it "
          "automatically after a pressure drop.",
          "Before turning the shaft by hand, isolate and lock the power supply."]),
        ("1.5", "Lifting and handling", "WARNING",
         "A complete pump set weighs between 212 kg and 389 kg, depending on the number of stages. A falling "
         "load can crush hands and feet.",
         ["Lift the pump set only at the marked lifting points of the baseplate, never at the motor eye bolts.",
          "Use slings and shackles rated for at least twice the weight shown on the rating plate.",
          "Keep people out of the area under a suspended load."]),
        ("1.6", "Pumped liquids", "CAUTION",
         "The standard pump is built for clean water and liquids of similar viscosity that do not attack "
         "stainless steel, EPDM or carbon. Other liquids need written approval from the manufacturer.",
         ["Check the material code on the rating plate against the liquid before the first start.",
          "When the pump has handled a hazardous liquid, flush and decontaminate it before service work.",
          "Dispose of flushing liquid according to local rules."]),
        ("1.7", "Noise", "CAUTION",
         "At full speed the sound pressure level one metre from the pump set can reach 78 dB(A) for the larger "
         "models. Long exposure can damage hearing.",
         ["Wear hearing protection in the pump room when several pumps run at once.",
          "Report any new or louder noise: it often announces bearing or cavitation damage."]),
    ]
    for number, title, word, text, rules in hazards:
        w(f"## {number} {title}")
        w("")
        w(f"{word}: {text}")
        w("")
        for rule in rules:
            w(f"- {rule}")
        w("")
    w("## 1.8 Qualified personnel")
    w("")
    w("Installation and commissioning must be carried out by people trained for mechanical and electrical work "
      "on rotating machinery. Routine checks listed for the operator in chapter 10 may be carried out by trained "
      "plant operators. Changes to parameters at technician or service level, and all work described in chapter "
      "11, are reserved for service technicians who have attended the QM-620 service course or hold equivalent "
      "experience.")
    w("")
    w("## 1.9 Intended use")
    w("")
    w(f"The {PRODUCT} is intended for pressure boosting in water supply, circulation in heating and cooling "
      "circuits, boiler feed in small plants, washing systems and similar duties with clean, non-explosive "
      "liquids. Any other use, running the pump outside the limits in chapter 3, or modifying the pump without "
      "written approval counts as improper use and voids the warranty.")
    w("")


def _ch2_description(w) -> None:
    w("# 2 Product description")
    w("")
    w("## 2.1 Overview")
    w("")
    w(f"The {PRODUCT} is a horizontal, ring-section multistage centrifugal pump. Between three and ten stages, "
      "each made of an impeller and a diffuser, are stacked between a suction casing and a discharge casing and "
      "held together by four tie bolts. The shaft is carried by a grease-lubricated ball bearing at each end and "
      "sealed by a cartridge mechanical seal on the drive side. A flexible coupling connects the pump to a "
      "four-pole or two-pole IE3 motor; pump and motor share a welded steel baseplate. The QC-7 controller, "
      "mounted on a bracket at the motor end, starts, stops and protects the pump and can run it through an "
      "integrated variable-speed drive.")
    w("")
    w("## 2.2 Model designation")
    w("")
    w("The model code on the rating plate reads, for example, QM-620/6-S-E-V. Its parts mean:")
    w("")
    for line in ["QM-620: pump series, rated flow 40 m³/h at best efficiency",
                 "/6: number of stages (3, 4, 5, 6, 8 or 10)",
                 "S: materials; S = stainless steel hydraulics with cast iron casings, N = all stainless steel",
                 "E: shaft seal; E = carbon/silicon carbide/EPDM, V = silicon carbide/silicon carbide/FKM",
                 "V: drive; V = QC-7 with variable-speed drive, D = QC-7 with direct-on-line starter"]:
        w(f"- {line}")
    w("")
    w("## 2.3 Main components")
    w("")
    components = [
        ("Suction casing", "cast iron EN-GJL-250 or stainless steel 1.4408; DN 80 flange, PN 16"),
        ("Discharge casing", "cast iron EN-GJL-250 or stainless steel 1.4408; DN 65 flange, PN 25"),
        ("Stage casings", "stainless steel 1.4301, one per stage, sealed with O-rings"),
        ("Impellers", "closed, stainless steel 1.4301, keyed to the shaft"),
        ("Diffusers", "stainless steel 1.4301 with PTFE wear rings"),
        ("Shaft", "stainless steel 1.4462 (duplex), diameter 28 mm at the seal"),
        ("Mechanical seal", "cartridge type, balanced, 28 mm, to EN 12756"),
        ("Bearings", "deep-groove ball bearings 6307-2Z/C3 (drive end) and 6306-2Z/C3 (non-drive end)"),
        ("Coupling", "jaw coupling with a 98 Shore A elastomer spider"),
        ("Baseplate", "welded steel, drilled for four anchor bolts M20"),
        ("Controller", "QC-7 with keypad, display, fieldbus port and optional variable-speed drive"),
    ]
    for name, text in components:
        w(f"- {name}: {text}.")
    w("")
    w("## 2.4 How the pump works")
    w("")
    w("Liquid enters the suction casing and reaches the eye of the first impeller. The impeller throws it "
      "outward and raises its speed; the diffuser around the impeller turns that speed into pressure and guides "
      "the liquid to the eye of the next impeller. Each stage adds roughly the same head, so the pressure the pump "
      "produces grows with the number of stages, while the flow is set by the impeller width and the speed. "
      "Axial thrust from the impellers is taken partly by a balance line from the discharge casing back to the "
      "seal chamber and partly by the drive-end bearing.")
    w("")
    w("The QC-7 reads a pressure transmitter on the discharge side and, on variable-speed models, adjusts the "
      "motor speed to hold the set pressure. When demand falls to zero the controller detects the low flow, "
      "boosts the pressure briefly and stops the pump; it starts again when the pressure drops below the restart "
      "threshold. Protection functions watch for dry running, overheating, overload, high vibration and sensor "
      "faults, and report each event with an error code (chapter 13).")
    w("")


def _ch3_data(w) -> None:
    w("# 3 Technical data")
    w("")
    w("## 3.1 Models")
    w("")
    w("Model | Stages | Motor power | Weight of pump set | Overall length")
    for model, stages, kw, kg, mm in VARIANTS:
        w(f"{model} | {stages} | {kw:.1f} kW | {kg} kg | {mm} mm")
    w("")
    w("## 3.2 Operating limits")
    w("")
    limits = [
        ("Liquid temperature", "-15 °C to +120 °C (EPDM seal), -10 °C to +140 °C (FKM seal)"),
        ("Ambient temperature", "0 °C to +40 °C; above 40 °C the motor output must be derated by 1 % per kelvin"),
        ("Maximum operating pressure", "25 bar at the discharge flange"),
        ("Maximum suction pressure", "10 bar, provided the discharge pressure stays below 25 bar"),
        ("Minimum flow", "4 m³/h continuous; below that the pump heats the liquid"),
        ("Maximum flow", "52 m³/h; above that the NPSH required rises steeply"),
        ("Speed range (variable-speed models)", "1,200 rpm to 2,950 rpm with the standard 50 Hz motors; up to "
         "3,550 rpm only with a 60 Hz motor of the next larger size"),
        ("Starts per hour", "at most 20 for motors up to 11 kW, at most 12 for larger motors"),
        ("Altitude", "up to 1,000 m above sea level without derating"),
        ("Solids", "none above 0.2 mm; the liquid must be free of fibres"),
    ]
    for name, value in limits:
        w(f"{name}: {value}.")
    w("")
    w("## 3.3 Performance at 2,950 rpm")
    w("")
    w("The figures below are for water at 20 °C. Head is given in metres of liquid column, shaft power in "
      "kilowatts. Tolerances follow ISO 9906 grade 3B. The flow marked (BEP) is the best efficiency point.")
    w("")
    for model, stages, kw, _kg, _mm in VARIANTS:
        w(f"### {model}")
        w("")
        w("Flow (m³/h) | Head (m) | Efficiency (%) | Shaft power (kW) | NPSH required (m)")
        for q in range(0, 55, 5):
            h = _head(q, stages)
            eff = _efficiency(q)
            if q == 0:
                power, eff_s = "-", "0"
            else:
                power = f"{1000 * 9.81 * (q / 3600) * h / eff / 1000:.2f}"
                eff_s = f"{100 * eff:.1f}"
            npsh = 1.1 + 0.0009 * q * q
            mark = " (BEP)" if q == 40 else ""
            w(f"{q}{mark} | {h:.1f} | {eff_s} | {power} | {npsh:.1f}")
        w("")
        shutoff = _head(0, stages)
        w(f"The {model} has a shut-off head of {shutoff:.1f} m, which corresponds to {shutoff * 0.0981:.1f} bar "
          f"with water; it is driven by a {kw:.1f} kW motor. "
          + pick(model, ["Choose it where the system curve crosses the flat part of the curve above.",
                         "At partial speed the head falls with the square of the speed ratio.",
                         "Its curve is stable: the head rises continuously towards shut-off.",
                         "Running it to the right of 50 m³/h is not recommended."]))
        w("")
    w("## 3.4 Electrical data")
    w("")
    w("Motor power | Rated current at 400 V | Locked-rotor current ratio | Power factor | Efficiency class")
    for kw, amps, ratio, pf in [(7.5, 14.3, 7.2, 0.86), (11.0, 20.6, 7.5, 0.87), (15.0, 27.9, 7.6, 0.88),
                                (18.5, 33.8, 7.4, 0.89), (22.0, 40.1, 7.7, 0.89)]:
        w(f"{kw:.1f} kW | {amps:.1f} A | {ratio:.1f} | {pf:.2f} | IE3")
    w("")
    w("Supply: 3 x 380-415 V, 50 Hz, or 3 x 440-480 V, 60 Hz. Enclosure of motor and controller: IP55. "
      "Insulation class F, temperature rise class B. Each motor has three PTC thermistors in the windings, "
      "wired to terminals 31 and 32 of the controller.")
    w("")
    w("## 3.5 Sound pressure level")
    w("")
    w("Measured one metre from the pump set at full speed, in a free field: 67 dB(A) with the 7.5 kW motor, "
      "70 dB(A) with 11 kW, 73 dB(A) with 15 kW, 76 dB(A) with 18.5 kW and 78 dB(A) with 22 kW.")
    w("")


def _ch4_transport(w) -> None:
    w("# 4 Transport and storage")
    w("")
    w("## 4.1 On delivery")
    w("")
    w("Check the delivery against the packing list as soon as it arrives. Look for damage to the crate, the "
      "flanges and the controller housing, and note any damage on the carrier's delivery note before you sign "
      "it. The flange covers keep dirt out of the pump; leave them in place until the piping is connected.")
    w("")
    w("## 4.2 Lifting")
    w("")
    w("Lift the pump set in its crate with a forklift whose forks reach under the whole crate, or with four "
      "slings at the marked points. Out of the crate, lift it only at the four lifting points welded to the "
      "baseplate. The motor eye bolts are designed for the motor alone and must not carry the pump set.")
    w("")
    w("## 4.3 Storage")
    w("")
    for rule in ["Store the pump indoors, in a dry room between +5 °C and +40 °C, away from vibration.",
                 "Turn the shaft by hand through a few revolutions every month so that the bearings do not "
                 "form flat spots and the seal faces do not stick.",
                 "When storage lasts longer than six months, fill the pump with a preserving liquid or dry it "
                 "completely and close the flanges.",
                 "After storage of more than two years, have the bearings and the shaft seal checked before "
                 "the first start.",
                 "Keep the controller in its bag with the desiccant until it is installed."]:
        w(f"- {rule}")
    w("")


def _ch5_installation(w) -> None:
    w("# 5 Installation")
    w("")
    sections = [
        ("5.1", "Location",
         "Install the pump in a frost-free, ventilated room with enough space around it for service: at least "
         "800 mm in front of the controller and 600 mm behind the non-drive end, so that the rotating assembly "
         "can be pulled out without removing the piping. Leave headroom for a lifting beam above the pump.",
         ["Make sure the floor drains towards a gully: a seal leak should not stand under the motor.",
          "Keep the air inlet of the motor fan at least 100 mm from any wall.",
          "Avoid places where the controller display would be in direct sunlight."]),
        ("5.2", "Foundation",
         "The baseplate must rest on a concrete foundation or a steel frame that is flat, level and able to "
         "carry at least 1.5 times the weight of the pump set filled with liquid. The foundation should be "
         "about 150 mm longer and wider than the baseplate and weigh at least three times as much as the pump "
         "set where vibration matters.",
         ["Set the baseplate on shims beside each anchor bolt and level it to within 0.2 mm per metre.",
          "Grout the baseplate with non-shrinking grout once the anchor bolts are set.",
          "Tighten the anchor bolts only after the grout has cured for at least 48 hours."]),
        ("5.3", "Alignment of pump and motor",
         "The pump set leaves the factory aligned, but transport, lifting and bolting down can disturb the "
         "alignment. Check it after installation, after connecting the piping and again after the first "
         "hours of operation at working temperature.",
         ["Permitted parallel offset: 0.10 mm. Permitted angular misalignment: 0.05 mm per 100 mm of "
          "coupling diameter.",
          "Measure with a dial gauge or a laser alignment tool at four positions 90 degrees apart.",
          "Correct the alignment by shimming the motor feet; never shim the pump feet.",
          "The gap between the coupling hubs must be 3.0 mm ± 0.5 mm."]),
        ("5.4", "Suction piping",
         "Most problems with multistage pumps start on the suction side. The suction pipe should be short, "
         "at least one size larger than the pump inlet, and rise steadily towards the pump so that no air "
         "pocket can form.",
         ["Fit a straight length of at least five pipe diameters before the suction flange.",
          "Use an eccentric reducer with the flat side up; a concentric reducer traps air.",
          "Fit an isolating valve and, for the first weeks, a temporary strainer with a 0.5 mm mesh.",
          "Support the piping so that no forces act on the pump flanges."]),
        ("5.5", "Discharge piping",
         "Fit a non-return valve and an isolating valve in the discharge line, in that order seen from the "
         "pump. The pressure transmitter belongs between the pump and the non-return valve or within two "
         "metres downstream of it, where it sees the pressure the pump produces.",
         ["Size the discharge pipe so that the velocity stays below 3 m/s at the maximum flow.",
          "Install a pressure vessel of at least 8 litres per kilowatt of motor power on variable-speed "
          "pressure boosting systems.",
          "Fit a pressure relief valve where a closed valve could raise the pressure above 25 bar."]),
        ("5.6", "Electrical connection",
         "Connect the supply to terminals L1, L2, L3 and PE of the controller. The motor is wired to the "
         "controller at the factory. Protect the supply with fuses or a circuit breaker sized for the rated "
         "current; a residual-current device must be of type B when a variable-speed drive is fitted.",
         ["Use screened motor cables when the drive is mounted away from the motor, and earth the screen at "
          "both ends.",
          "Keep signal cables at least 200 mm from power cables, or cross them at right angles.",
          "Tighten the supply terminals to the torque printed next to them on the terminal block."]),
    ]
    for number, title, text, rules in sections:
        w(f"## {number} {title}")
        w("")
        w(text)
        w("")
        for rule in rules:
            w(f"- {rule}")
        w("")
    w("## 5.7 Controller terminals")
    w("")
    w("Terminal | Function | Signal")
    terminals = [
        ("1, 2", "Pressure transmitter, discharge", "4-20 mA, 24 V DC supply"),
        ("3, 4", "Pressure transmitter, suction (optional)", "4-20 mA"),
        ("5, 6", "External set point", "0-10 V or 4-20 mA, selected by P17"),
        ("7, 8", "Flow meter (optional)", "pulse input, up to 1 kHz"),
        ("11, 12", "Remote start/stop", "potential-free contact"),
        ("13, 14", "Low-level switch in the supply tank", "potential-free contact, opens on low level"),
        ("15, 16", "External fault input", "potential-free contact, function set by P49"),
        ("21, 22, 23", "Run relay", "changeover contact, 250 V AC, 2 A"),
        ("24, 25, 26", "Fault relay", "changeover contact, 250 V AC, 2 A"),
        ("31, 32", "Motor thermistors", "PTC chain"),
        ("41, 42", "Vibration sensor", "4-20 mA, 0-20 mm/s"),
        ("43, 44", "Bearing temperature, drive end", "Pt100, two-wire"),
        ("45, 46", "Bearing temperature, non-drive end", "Pt100, two-wire"),
        ("A, B, GND", "Fieldbus", "RS-485, Modbus RTU"),
    ]
    for t, f, s in terminals:
        w(f"{t} | {f} | {s}")
    w("")


def _ch6_commissioning(w) -> None:
    w("# 6 Commissioning")
    w("")
    w("## 6.1 Checks before the first start")
    w("")
    checks = [
        "The foundation bolts are tightened and the grout has cured.",
        "The alignment has been checked with the piping connected (5.3).",
        "The suction and discharge pipes are supported and flushed; the temporary strainer is in place.",
        "The supply voltage and frequency match the rating plate.",
        "The motor thermistors are connected to terminals 31 and 32.",
        "The coupling guard is fitted.",
        "The pressure transmitter is connected and its range matches parameter P11.",
        "Nobody is working on the piping or the electrical system of the plant.",
    ]
    for n, c in enumerate(checks, 1):
        w(f"{n}. {c}")
    w("")
    w("## 6.2 Filling and venting")
    w("")
    steps = [
        "Open the suction isolating valve fully; keep the discharge isolating valve closed.",
        "Unscrew the vent screw on the discharge casing by two turns.",
        "Let liquid flow in until it comes out of the vent screw free of air bubbles.",
        "Turn the shaft by hand a few times to release air trapped in the stages, then vent again.",
        "Close the vent screw. In a suction-lift installation, fill the pump and the suction pipe through the "
        "filling plug instead and make sure the foot valve holds.",
    ]
    for n, s in enumerate(steps, 1):
        w(f"{n}. {s}")
    w("")
    w("CAUTION: never start the pump dry, not even for a moment to check the direction of rotation. The "
      "mechanical seal faces are cooled and lubricated by the pumped liquid and are destroyed within seconds "
      "when they run dry.")
    w("")
    w("## 6.3 Direction of rotation")
    w("")
    w("The correct direction is shown by the arrow on the motor fan cover: clockwise seen from the motor end. "
      "On variable-speed models the controller sets the direction and the phase sequence of the supply does "
      "not matter. On direct-on-line models, switch the pump on for about one second with the pump filled and "
      "watch the fan. If it turns the wrong way, isolate the supply and swap two phases at the supply terminals.")
    w("")
    w("## 6.4 First start")
    w("")
    steps = [
        "Open the discharge isolating valve by about a quarter.",
        "Start the pump from the keypad with the START key; the display shows the speed rising to the set value.",
        "Open the discharge valve slowly until the flow or the pressure reaches the duty point.",
        "Check that the discharge pressure is steady and that no unusual noise or vibration occurs.",
        "Check the mechanical seal: a cartridge seal should not drip visibly.",
        "After one hour at operating temperature, check the bearing temperatures (at most 80 °C at the "
        "housing) and the alignment.",
        "Remove the temporary suction strainer after about two weeks and clean the suction line if the "
        "strainer held much dirt.",
    ]
    for n, s in enumerate(steps, 1):
        w(f"{n}. {s}")
    w("")
    w("## 6.5 Commissioning record")
    w("")
    w("Write down the values below after the first start and keep them with this manual. They are the "
      "reference against which later measurements are compared: a rise in vibration or bearing temperature, "
      "or a fall in pressure at the same speed and flow, shows wear long before a failure.")
    w("")
    for item in ["Date and name of the commissioning engineer", "Serial numbers of pump, motor and controller",
                 "Supply voltage between phases", "Motor current at duty point", "Suction and discharge "
                 "pressure at duty point", "Speed at duty point", "Vibration velocity at both bearings",
                 "Bearing housing temperatures after one hour", "Parameter list exported to a USB stick"]:
        w(f"- {item}")
    w("")


PARAMETERS = [  # (code, name, unit, min, max, default, level, what it does)
    ("P01", "Operating mode", "", "0", "3", "1", "Operator",
     "selects how the pump is controlled: 0 = off, 1 = constant pressure, 2 = constant speed, 3 = external set point"),
    ("P02", "Pressure set point", "bar", "0.5", "24.0", "4.0", "Operator",
     "is the discharge pressure the controller holds in constant-pressure mode"),
    ("P03", "Fixed speed", "rpm", "1200", "3550", "2950", "Operator",
     "is the speed used in constant-speed mode and as the speed for manual runs"),
    ("P04", "Restart pressure difference", "bar", "0.1", "3.0", "0.5", "Operator",
     "sets how far the pressure may fall below the set point before a stopped pump starts again"),
    ("P05", "Start delay", "s", "0", "600", "2", "Operator",
     "delays each automatic start, so that short pressure dips do not start the pump"),
    ("P06", "Stop delay", "s", "0", "600", "10", "Operator",
     "keeps the pump running for this time after the stop condition has been met"),
    ("P07", "Display language", "", "1", "9", "1", "Operator",
     "selects the language of the display texts: 1 = English, 2 = German, 3 = French, 4 = Spanish, "
     "5 = Chinese and further languages listed on the display"),
    ("P08", "Display brightness", "%", "10", "100", "70", "Operator",
     "sets the backlight of the display"),
    ("P09", "Pressure unit", "", "0", "2", "0", "Operator",
     "selects the unit shown for pressures: 0 = bar, 1 = kPa, 2 = psi"),
    ("P10", "Keypad lock", "", "0", "1", "0", "Operator",
     "locks the keypad against changes; the STOP key always stays active"),
    ("P11", "Discharge transmitter range", "bar", "4", "40", "25", "Technician",
     "must match the upper end of the discharge pressure transmitter's measuring range"),
    ("P12", "Suction transmitter range", "bar", "0", "25", "0", "Technician",
     "must match the suction transmitter; 0 means no suction transmitter is fitted"),
    ("P13", "Minimum speed", "rpm", "1200", "3000", "1500", "Technician",
     "is the lowest speed the drive will run at in automatic modes"),
    ("P14", "Maximum speed", "rpm", "1500", "3550", "2950", "Technician",
     "is the highest speed the drive will run at; values above 2950 rpm need a 60 Hz rated motor"),
    ("P15", "Acceleration ramp", "s", "1", "60", "5", "Technician",
     "is the time the drive takes to go from standstill to maximum speed"),
    ("P16", "Deceleration ramp", "s", "1", "60", "5", "Technician",
     "is the time the drive takes to go from maximum speed to standstill"),
    ("P17", "External set point signal", "", "0", "2", "0", "Technician",
     "selects the signal on terminals 5 and 6: 0 = 0-10 V, 1 = 4-20 mA, 2 = 0-20 mA"),
    ("P18", "Controller gain", "", "0.1", "20.0", "2.5", "Technician",
     "is the proportional gain of the pressure controller; higher values react faster but may oscillate"),
    ("P19", "Integral time", "s", "0.1", "60.0", "1.2", "Technician",
     "is the integral time of the pressure controller; shorter values remove the pressure error faster"),
    ("P20", "Low-flow detection", "", "0", "2", "1", "Technician",
     "selects how the controller recognises zero demand: 0 = off, 1 = by speed test, 2 = by flow meter"),
    ("P21", "Low-flow boost", "bar", "0.0", "2.0", "0.3", "Technician",
     "is the pressure added before the pump stops on low flow, to fill the pressure vessel"),
    ("P22", "Low-flow limit", "m³/h", "0.5", "10.0", "2.0", "Technician",
     "is the flow below which the pump counts as idle when a flow meter is used"),
    ("P23", "Dry-run protection", "", "0", "2", "1", "Technician",
     "selects the dry-run detection: 0 = off, 1 = by power curve, 2 = by suction pressure"),
    ("P24", "Dry-run delay", "s", "1", "60", "10", "Technician",
     "is how long a dry-run condition must last before the controller stops the pump"),
    ("P25", "Minimum suction pressure", "bar", "-0.8", "5.0", "0.3", "Technician",
     "is the suction pressure below which error E-214 is raised when a suction transmitter is fitted"),
    ("P26", "Maximum discharge pressure", "bar", "1.0", "25.0", "20.0", "Technician",
     "is the discharge pressure above which the pump is stopped with error E-221"),
    ("P27", "Automatic restarts", "", "0", "10", "3", "Technician",
     "is how many times per hour the controller restarts the pump after an alarm that allows a restart"),
    ("P28", "Restart wait time", "s", "10", "900", "60", "Technician",
     "is the time between an alarm and the automatic restart"),
    ("P29", "Pipe fill function", "", "0", "1", "1", "Technician",
     "enables a slow start that fills an empty discharge pipe without water hammer"),
    ("P30", "Pipe fill time", "s", "10", "600", "60", "Technician",
     "is the longest time the pipe fill function runs at reduced speed"),
    ("P31", "Vibration warning limit", "mm/s", "1.0", "20.0", "4.5", "Technician",
     "is the vibration velocity at which warning W-411 is shown"),
    ("P32", "Vibration trip limit", "mm/s", "2.0", "20.0", "7.1", "Technician",
     "is the vibration velocity at which the pump is stopped with error E-412"),
    ("P33", "Bearing temperature warning", "°C", "40", "120", "85", "Technician",
     "is the bearing temperature at which warning W-421 is shown"),
    ("P34", "Bearing temperature trip", "°C", "50", "130", "95", "Technician",
     "is the bearing temperature at which the pump is stopped with error E-422"),
    ("P35", "Duty/standby mode", "", "0", "2", "0", "Technician",
     "selects cooperation with a second pump: 0 = single pump, 1 = duty/standby, 2 = duty/assist"),
    ("P36", "Pump exchange interval", "h", "1", "168", "24", "Technician",
     "is the running time after which duty and standby pumps change roles"),
    ("P37", "Assist start pressure", "bar", "0.1", "5.0", "0.8", "Technician",
     "is the pressure drop below set point at which the assist pump starts"),
    ("P38", "Exercise run", "h", "0", "168", "48", "Technician",
     "starts an idle pump briefly after this many hours without running; 0 switches it off"),
    ("P39", "Fieldbus address", "", "1", "247", "1", "Technician",
     "is the Modbus address of the controller"),
    ("P40", "Fieldbus baud rate", "", "0", "3", "2", "Technician",
     "selects 0 = 9,600, 1 = 19,200, 2 = 38,400 or 3 = 115,200 baud"),
    ("P41", "Fieldbus parity", "", "0", "2", "0", "Technician",
     "selects 0 = even, 1 = odd or 2 = no parity with two stop bits"),
    ("P42", "Fieldbus timeout", "s", "0", "300", "30", "Technician",
     "is the time without a message after which warning W-612 is shown; 0 switches it off"),
    ("P43", "Run relay function", "", "0", "3", "0", "Technician",
     "selects when the run relay closes: 0 = pump running, 1 = ready, 2 = duty pump, 3 = warning present"),
    ("P44", "Fault relay function", "", "0", "2", "0", "Technician",
     "selects when the fault relay releases: 0 = any alarm, 1 = lockout only, 2 = alarm or warning"),
    ("P45", "Flow meter pulses", "pulses/l", "0.1", "100.0", "1.0", "Technician",
     "is the pulse value of the flow meter on terminals 7 and 8"),
    ("P46", "Motor rated current", "A", "1.0", "60.0", "27.9", "Service",
     "must be set to the current on the motor rating plate; it is the basis of the overload protection"),
    ("P47", "Motor rated speed", "rpm", "1000", "3600", "2940", "Service",
     "must be set to the speed on the motor rating plate"),
    ("P48", "Switching frequency", "kHz", "2", "16", "4", "Service",
     "is the switching frequency of the drive; higher values are quieter but heat the drive more"),
    ("P49", "External fault input function", "", "0", "2", "0", "Service",
     "selects the reaction to terminals 15 and 16: 0 = warning only, 1 = stop with restart, 2 = lockout"),
    ("P50", "Thermistor input", "", "0", "1", "1", "Service",
     "enables the motor thermistor input; it may only be switched off for a motor without thermistors"),
    ("P51", "Overload class", "", "10", "30", "10", "Service",
     "is the trip class of the electronic motor overload relay"),
    ("P52", "Running hours", "h", "-", "-", "-", "Service",
     "shows the total running hours of the pump; it can be set once, after the controller is replaced"),
    ("P53", "Service interval", "h", "0", "20000", "8000", "Service",
     "is the running time after which the service reminder W-701 appears; 0 switches it off"),
    ("P54", "Reset service reminder", "", "0", "1", "0", "Service",
     "clears W-701 and starts a new service interval when set to 1"),
    ("P55", "Skip frequency band", "rpm", "0", "3550", "0", "Service",
     "is the centre of a speed band the drive passes through quickly, to avoid a resonance of the plant"),
    ("P56", "Skip band width", "rpm", "0", "400", "0", "Service",
     "is the width of the band around P55"),
    ("P57", "Factory settings", "", "0", "2", "0", "Service",
     "restores defaults: 1 = all parameters except communication, 2 = all parameters"),
    ("P58", "Event log export", "", "0", "1", "0", "Service",
     "writes the event log and the parameter list to a USB stick when set to 1"),
    ("P59", "Software version", "", "-", "-", "-", "Service",
     "shows the software version of the controller and of the drive"),
    ("P60", "Service password", "", "0000", "9999", "0000", "Service",
     "changes the password that protects service-level parameters"),
]


def _ch7_controller(w) -> None:
    w("# 7 The QC-7 controller and its parameters")
    w("")
    w("## 7.1 Keypad and display")
    w("")
    w("The QC-7 has a four-line display and six keys: START, STOP, MENU, OK, UP and DOWN. The first line of the "
      "display shows the operating mode and the state of the pump, the second the discharge pressure, the third "
      "the speed or the motor current, and the fourth the newest warning or error. The green LED lights while "
      "the pump runs, the yellow LED while a warning is present, and the red LED flashes for an alarm and lights "
      "steadily for a lockout.")
    w("")
    w("## 7.2 Changing a parameter")
    w("")
    for n, s in enumerate([
            "Press MENU. The display shows the parameter list, starting at P01.",
            "Choose the parameter with UP and DOWN and press OK; the value starts to flash.",
            "Change the value with UP and DOWN. Holding a key changes the value faster.",
            "Press OK to store the value, or MENU to leave without storing it.",
            "Parameters at technician or service level ask for the password first. The technician password "
            "is printed on the inside of the controller cover; the service password is given to trained "
            "service technicians only."], 1):
        w(f"{n}. {s}")
    w("")
    w("## 7.3 Parameter list")
    w("")
    w("Each parameter below is listed with its range, its default value and the access level needed to change "
      "it. Values are stored in non-volatile memory and survive a power failure.")
    w("")
    effects = ["The new value applies at once, also while the pump runs.",
               "A change takes effect at the next start of the pump.",
               "The controller uses the new value after the running cycle in progress has ended.",
               "A change is accepted only while the pump is stopped.",
               "The value is applied at once; the display confirms it with a short beep."]
    advice = {
        "Operator": ["Operators may change it freely within the range shown.",
                     "It can be changed from the keypad without a password.",
                     "No password is needed to change it."],
        "Technician": ["Changing it requires the technician password.",
                       "Only a trained technician should change it, after reading the related sections.",
                       "It is protected by the technician password because a wrong value can stop the plant."],
        "Service": ["It is protected by the service password.",
                    "Only service technicians may change it; write down the old value first.",
                    "A wrong value here can damage the motor, so the service password is required."],
    }
    for code, name, unit, lo, hi, default, level, what in PARAMETERS:
        u = f" {unit}" if unit else ""
        w(f"### {code} {name}")
        w("")
        if lo == "-":
            rng = "Read-only display value."
        else:
            rng = f"Range {lo} to {hi}{u}, default {default}{u}."
        sentence = f"{code} {what}."
        w(f"{sentence} {rng} Access level: {level}. {pick(code + 'e', effects)} "
          f"{pick(code + 'a', advice[level])} {PARAMETER_NOTES[code]}")
        extra = pick(code + "x", [
            "",
            f"When the pump behaves unexpectedly after a change of {code}, restore the default and observe the pump "
            "for one full cycle before trying another value.",
            f"The value of {code} is included in the parameter export (P58), so it can be compared with the "
            "commissioning record.",
            f"On pump sets supplied with a pre-configured controller, {code} may differ from the default shown "
            "here; the value set at the factory is listed on the test certificate.",
            "",
        ])
        if extra:
            w("")
            w(extra)
        w("")


def _ch8_operation(w) -> None:
    w("# 8 Operation")
    w("")
    sections = [
        ("8.1", "Starting and stopping",
         "In automatic modes the pump starts and stops by itself. Press START to release the pump for "
         "automatic operation; the green LED flashes while the pump waits for demand and lights steadily while "
         "it runs. Press STOP to stop the pump and block automatic starts. Remote start/stop on terminals 11 and "
         "12 acts in the same way when the contact is wired; an open contact stops the pump."),
        ("8.2", "Constant-pressure operation",
         "In constant-pressure mode (P01 = 1) the controller varies the speed to hold the pressure set in P02. "
         "When the demand falls, the speed falls with it; when it reaches the minimum speed and the pressure "
         "still rises, the controller runs the low-flow test set by P20 and stops the pump when no water is "
         "drawn. A pressure vessel on the discharge side covers small draws while the pump is stopped."),
        ("8.3", "Constant-speed operation",
         "In constant-speed mode (P01 = 2) the pump runs at the speed set in P03 while it is released. Use this "
         "mode for circulation duties where the flow is set by a valve or by the system itself, or for testing. "
         "The pressure limits in P25 and P26 stay active."),
        ("8.4", "External set point",
         "In mode 3 the pressure set point comes from a signal on terminals 5 and 6, scaled from zero to the "
         "range in P11. This lets a building management system change the pressure during the day, for example "
         "to lower it at night and so reduce leakage and energy use."),
        ("8.5", "Duty and standby pumps",
         "Two controllers connected by the fieldbus can share a duty. In duty/standby mode one pump runs and the "
         "other takes over on a fault; the roles change every P36 hours so that both pumps age alike. In "
         "duty/assist mode the second pump starts when the first cannot hold the pressure alone."),
        ("8.6", "Running at low flow",
         "The pump must not run for long against a closed valve. The energy the motor puts into the liquid "
         "then heats it: at shut-off, the liquid in a six-stage pump can warm by several kelvin per minute. Keep "
         "the flow above 4 m³/h, or make sure the low-flow stop is enabled."),
        ("8.7", "Taking the pump out of service",
         "For a short stop, press STOP. For a longer period, close the isolating valves, switch off the supply "
         "and, where frost is possible, drain the pump through the drain plug on the suction casing. Turn the "
         "shaft by hand every month while the pump is idle, or let the exercise run (P38) do it when the pump "
         "stays filled and powered."),
    ]
    for number, title, text in sections:
        w(f"## {number} {title}")
        w("")
        w(text)
        w("")


SENSORS = [  # (name, location, signal, normal, warning, notes)
    ("Discharge pressure transmitter", "discharge pipe, within 2 m of the pump", "4-20 mA", "as set in P02",
     "none", "It is the main control signal; a broken wire stops the pump with E-231."),
    ("Suction pressure transmitter", "suction pipe, close to the flange", "4-20 mA", "above P25",
     "below P25", "Optional; without it, dry running is detected from the power curve."),
    ("Vibration sensor", "drive-end bearing housing, radial", "4-20 mA, 0-20 mm/s", "below 2.8 mm/s",
     "above P31", "Mount it on the flat machined pad; a magnet base gives false readings."),
    ("Drive-end bearing temperature", "drive-end bearing housing", "Pt100", "below 70 °C",
     "above P33", "The reading lags the bearing itself by a few minutes."),
    ("Non-drive-end bearing temperature", "non-drive-end bearing housing", "Pt100", "below 65 °C",
     "above P33", "This bearing runs cooler because it carries no coupling load."),
    ("Motor thermistors", "motor windings", "PTC chain", "below 1.5 kΩ", "above 3.6 kΩ trips",
     "The controller trips the motor at once when the chain resistance rises above the trip value."),
    ("Flow meter", "discharge pipe, optional", "pulses", "within the duty range", "below P22",
     "Needed for low-flow detection by flow (P20 = 2)."),
    ("Low-level switch", "supply tank", "contact", "closed", "open",
     "Protects the pump against running dry when the tank empties."),
]


def _ch9_monitoring(w) -> None:
    w("# 9 Monitoring and sensors")
    w("")
    w("## 9.1 What the controller watches")
    w("")
    w("The QC-7 compares every sensor reading with its limits several times per second. A reading beyond a "
      "warning limit lights the yellow LED and writes a warning to the event log; the pump keeps running. A "
      "reading beyond a trip limit stops the pump and raises an error. The event log holds the last 500 events "
      "with date, time, running hours and the values of pressure, speed and current at that moment.")
    w("")
    for n, (name, loc, signal, normal, warn, notes) in enumerate(SENSORS, 2):
        w(f"## 9.{n} {name}")
        w("")
        w(f"Location: {loc}. Signal: {signal}. Normal reading: {normal}. Warning: {warn}. {notes}")
        w("")
        w(pick(name, [
            "Check the reading against a portable instrument once a year; a difference of more than 5 % of the "
            "range means the sensor should be recalibrated or replaced.",
            "When the reading jumps or drops to zero, look first at the connector and the cable gland: most "
            "sensor faults are wiring faults.",
            "A sensor that reads a steady but wrong value is harder to notice than one that fails; compare it "
            "with the commissioning record at every service.",
            "Spare sensors are listed in chapter 14; fit them with the cable pointing downwards so that water "
            "cannot run into the connector.",
        ]))
        w("")
    w("## 9.10 Trends worth watching")
    w("")
    w("A single reading says little; its change over weeks says a lot. Note these values in the log sheet "
      "(appendix A) at least once a month, at the same flow and speed each time:")
    w("")
    for item in ["vibration velocity at the drive-end bearing (a rise of 50 % over the commissioning value "
                 "calls for an inspection);",
                 "bearing temperatures (a rise of 10 K at the same ambient temperature points to lubrication "
                 "or alignment problems);",
                 "motor current at the duty point (a rise with unchanged pressure points to rubbing or a "
                 "seal running hot; a fall points to wear or air in the pump);",
                 "discharge pressure at a fixed speed (a slow fall shows wear of impellers or wear rings);",
                 "number of starts per hour (a rise shows a leaking non-return valve or a pressure vessel "
                 "that has lost its pre-charge)."]:
        w(f"- {item}")
    w("")


MAINTENANCE = [  # (interval, task, who, reference)
    ("Daily", "Look for leaks at the shaft seal, the flanges and the casing joints", "Operator", "10.3"),
    ("Daily", "Listen for unusual noise from the bearings and the coupling", "Operator", "10.3"),
    ("Daily", "Read the discharge pressure and the speed on the display and compare them with the log", "Operator",
     "9.10"),
    ("Weekly", "Check the event log for new warnings", "Operator", "9.1"),
    ("Weekly", "Check that the motor fan inlet is free of dust and fluff", "Operator", "10.3"),
    ("Weekly", "On duty/standby sets, check that both pumps have similar running hours", "Operator", "8.5"),
    ("Monthly", "Note vibration, bearing temperatures and motor current in the log sheet", "Operator", "9.10"),
    ("Monthly", "Check the pre-charge of the pressure vessel (0.9 x the restart pressure)", "Technician", "10.4"),
    ("Monthly", "Clean the suction strainer where one is fitted", "Operator", "10.5"),
    ("Quarterly", "Check the coupling spider for cracks and wear through the guard window", "Technician", "10.6"),
    ("Quarterly", "Test the dry-run protection by closing the suction valve briefly", "Technician", "10.7"),
    ("Quarterly", "Check the tightness of the foundation bolts", "Technician", "11.3"),
    ("Every 4,000 hours", "Regrease the bearings on pump sets fitted with grease nipples", "Technician", "10.8"),
    ("Every 8,000 hours", "Check the alignment of pump and motor", "Technician", "5.3"),
    ("Every 8,000 hours", "Replace the coupling spider", "Technician", "10.6"),
    ("Every 8,000 hours", "Measure the insulation resistance of the motor winding", "Technician", "10.9"),
    ("Yearly", "Calibrate or check the pressure transmitters", "Technician", "9.11"),
    ("Yearly", "Clean the controller heat sink and check the cooling fan", "Technician", "10.10"),
    ("Yearly", "Export the event log and the parameter list (P58)", "Technician", "7.3"),
    ("Every 16,000 hours", "Replace the mechanical seal", "Service", "11.5"),
    ("Every 16,000 hours", "Replace both bearings", "Service", "11.6"),
    ("Every 24,000 hours", "Inspect impellers, diffusers and wear rings", "Service", "11.4"),
    ("Every 5 years", "Replace the cooling fan of the controller", "Service", "10.10"),
    ("Every 5 years", "Replace the pressure vessel membrane", "Service", "10.4"),
]

INSPECTIONS = [  # (component, what to look at, limit, tool, if outside)
    ("mechanical seal", "drops at the seal housing and crystals or stains on the shaft below it",
     "no visible dripping; up to 10 drops per hour are acceptable during the first 24 hours", "a dry cloth",
     "replace the seal cartridge (11.5)"),
    ("drive-end bearing", "temperature at the housing and noise heard through a stethoscope",
     "at most 80 °C and a smooth, even sound", "a contact thermometer and a mechanic's stethoscope",
     "regrease it or replace it (11.6)"),
    ("non-drive-end bearing", "temperature and noise, as for the drive-end bearing",
     "at most 75 °C", "a contact thermometer", "replace it (11.6)"),
    ("coupling", "cracks, crumbs of elastomer under the guard, and the gap between the hubs",
     "no cracks; gap 3.0 mm ± 0.5 mm", "a feeler gauge and a torch", "replace the spider and check the alignment"),
    ("pressure vessel", "pre-charge pressure with the vessel isolated and emptied on the water side",
     "0.9 times the restart pressure", "a tyre pressure gauge", "correct the pre-charge with nitrogen"),
    ("suction strainer", "pressure difference across the strainer and the amount of dirt in the basket",
     "below 0.2 bar", "the suction and a temporary gauge", "clean the basket and look for the source of the dirt"),
    ("motor", "fan cover, cooling ribs and terminal box", "clean ribs and a dry terminal box",
     "a brush and a torch", "clean the motor; dry and reseal a damp terminal box"),
    ("controller", "display, keys, cable glands and the heat sink", "no condensation and no dust on the heat sink",
     "a torch and a soft brush", "clean it; replace damaged glands"),
    ("foundation bolts", "tightness and signs of movement such as cracks in the grout",
     "no movement; bolts at their specified torque", "a torque wrench", "retighten; repair cracked grout"),
    ("piping supports", "whether the pipes rest on their supports rather than on the pump flanges",
     "no gap opens at the flanges when the bolts are loosened", "a feeler gauge", "adjust the supports"),
    ("casing joints", "weeping at the joints between the stage casings", "dry joints",
     "a dry cloth", "tighten the tie bolts evenly; replace the O-rings at the next overhaul"),
    ("vent and drain plugs", "leaks and the state of their sealing washers", "dry plugs",
     "a dry cloth", "fit new sealing washers"),
]


def _ch10_maintenance(w) -> None:
    w("# 10 Maintenance")
    w("")
    w("## 10.1 General")
    w("")
    w("Regular maintenance keeps the pump efficient and finds wear before it causes a breakdown. The intervals "
      "below are for continuous duty with clean water at up to 60 °C. Shorten them for hot liquids, frequent "
      "starts, dirty water or high ambient temperatures, and lengthen the running-hour intervals only when "
      "trend records show that the pump is in good condition. Before any work other than visual checks, stop "
      "the pump, isolate and lock the supply, and close the isolating valves (1.2, 1.3).")
    w("")
    w("## 10.2 Maintenance schedule")
    w("")
    w("Interval | Task | Who | See")
    for interval, task, who, ref in MAINTENANCE:
        w(f"{interval} | {task} | {who} | {ref}")
    w("")
    w("## 10.3 Inspection checklist")
    w("")
    w("Use the checklist below for the routine inspections in the schedule. Each item names what to look at, "
      "the limit that separates normal from abnormal, the tool you need and what to do when the limit is "
      "exceeded.")
    w("")
    openers = ["Start with the {c}.", "Next, the {c}.", "Turn to the {c}.", "Then inspect the {c}.",
               "Go on to the {c}.", "Look at the {c} next."]
    for n, (comp, what, limit, tool, action) in enumerate(INSPECTIONS, 1):
        w(f"### 10.3.{n} {comp.capitalize()}")
        w("")
        opener = pick(comp, openers).format(c=comp)
        w(f"{opener} Check {what}. Acceptable: {limit}. You need {tool}. If the limit is exceeded, {action}.")
        w("")
        w(pick(comp + "note", [
            f"Record the result for the {comp} in the log sheet even when it is normal; a trend needs every point.",
            f"Findings on the {comp} are often the first sign of a problem elsewhere, for example misalignment or "
            "cavitation, so look for a cause before replacing parts.",
            f"If the {comp} was replaced recently, compare the result with the value noted after the repair.",
            f"Wipe the {comp} clean before the check; dirt hides leaks and cracks.",
        ]))
        w("")
    details = [
        ("10.4", "Pressure vessel",
         "A pressure vessel with the wrong pre-charge makes the pump start and stop far too often. Isolate the "
         "vessel, drain it on the water side, and measure the gas pressure at the valve on top. Set it to 0.9 "
         "times the restart pressure, that is 0.9 x (P02 - P04). Use dry nitrogen; air carries moisture that "
         "corrodes the vessel from inside."),
        ("10.5", "Suction strainer",
         "Close the suction valve and the discharge valve, open the strainer cover and lift out the basket. "
         "Rinse it from the clean side and check the mesh for holes. A strainer that fills up within days shows "
         "that dirt is entering the system; look for the source, such as a corroding tank or a building site on "
         "the supply main."),
        ("10.6", "Coupling spider",
         "The elastomer spider is the only wearing part of the coupling. Through the window in the guard, look "
         "for cracks and for a fine black powder below the coupling, which shows that the spider is wearing "
         "quickly, usually because of misalignment. To replace the spider, remove the guard, loosen the motor "
         "feet, slide the motor back, fit the new spider, slide the motor forward to the 3.0 mm gap and realign."),
        ("10.7", "Testing the dry-run protection",
         "With the pump running at the duty point, close the suction valve slowly. Depending on P23, the "
         "controller must stop the pump within P24 seconds plus a few seconds, with error E-211 or E-214. Open "
         "the valve again, vent the pump if needed, and reset the error. If the pump does not stop, do not "
         "continue the test: stop it by hand and check the settings and the suction transmitter."),
        ("10.8", "Regreasing the bearings",
         "Pump sets from serial number 620-24-3000 onwards have grease nipples on both bearing housings. Wipe "
         "the nipple clean and press in 10 g of lithium-complex grease of NLGI grade 3 at the drive end and 8 g "
         "at the non-drive end, with the pump running. The bearing temperature rises for an hour or two and "
         "then settles. Pump sets without nipples have sealed bearings that are replaced instead (11.6)."),
        ("10.9", "Insulation resistance",
         "Disconnect the motor cable from the drive before the test: the test voltage destroys the drive "
         "electronics. Measure between each phase and earth with 500 V DC. A winding in good condition reads "
         "more than 100 MΩ; below 10 MΩ, dry the motor; below 1 MΩ, it must not be switched on."),
        ("10.10", "Controller cooling",
         "The drive in the QC-7 loses about 3 % of the motor power as heat. Dust on the heat sink raises the "
         "temperature of the power electronics and shortens their life. Isolate the supply, wait five minutes, "
         "and clean the heat sink ribs with a soft brush and dry compressed air from the top downwards. Check "
         "that the cooling fan turns freely and replace it every five years."),
    ]
    for number, title, text in details:
        w(f"## {number} {title}")
        w("")
        w(text)
        w("")


TORQUES = [  # fastener, size, torque; the impeller lock nut is deliberately not in this table
    ("Tie bolts, stage casings", "M16", "165 N·m"),
    ("Suction and discharge flange bolts", "M16", "120 N·m"),
    ("Bearing bracket to discharge casing", "M12", "70 N·m"),
    ("Seal cartridge clamping nuts", "M10", "38 N·m"),
    ("Seal cartridge set screws (on the shaft sleeve)", "M6", "8 N·m"),
    ("Bearing cover screws", "M8", "22 N·m"),
    ("Coupling hub set screws", "M10", "17 N·m"),
    ("Motor feet to baseplate", "M16", "150 N·m"),
    ("Pump feet to baseplate", "M16", "140 N·m"),
    ("Foundation anchor bolts", "M20", "260 N·m"),
    ("Vent and drain plugs", "G 3/8", "30 N·m"),
    ("Coupling guard screws", "M6", "6 N·m"),
]


def _ch11_disassembly(w) -> None:
    w("# 11 Disassembly and reassembly")
    w("")
    w("## 11.1 Before you start")
    w("")
    w("The work in this chapter is for service technicians (1.8). Read the whole procedure before you begin, "
      "have the spare parts ready (chapter 14), and work on a clean bench. Mark the position of every stage "
      "casing and diffuser with a paint pen before you take them apart; they must go back in the same order and "
      "the same angular position. Replace all O-rings, gaskets and tab washers that you remove: reused seals "
      "are the most common cause of leaks after an overhaul.")
    w("")
    w("## 11.2 Special tools")
    w("")
    for tool, use in [("QT-11 coupling spanner", "holds the shaft by the coupling hub while nuts are loosened or "
                       "tightened"),
                      ("QT-14 seal setting plate", "fixes the seal cartridge at its working length during "
                       "assembly"),
                      ("QT-21 bearing puller, two-arm", "pulls the bearings off the shaft without damaging it"),
                      ("QT-25 stage casing lifting clamp", "lifts the stage stack of pumps with eight or ten "
                       "stages"),
                      ("Calibrated torque wrench 5-300 N·m", "all threaded connections in this chapter")]:
        w(f"- {tool}: {use}.")
    w("")
    w("## 11.3 Tightening torques")
    w("")
    w("Unless a step says otherwise, tighten screws with lightly oiled threads in a crosswise order and in two "
      "passes, first to half and then to the full torque.")
    w("")
    w("Fastener | Thread | Torque")
    for fastener, thread, torque in TORQUES:
        w(f"{fastener} | {thread} | {torque}")
    w("Impeller lock nut | M24, left-hand | see 11.7, step 6")
    w("")
    w("## 11.4 Dismantling the pump")
    w("")
    steps = [
        "Stop the pump, isolate and lock the supply, close both isolating valves and drain the pump (1.2, 1.3).",
        "Remove the coupling guard and disconnect the sensor cables from the bearing housings.",
        "Loosen the motor feet and slide the motor back by about 100 mm, or remove it.",
        "Loosen the set screws of the pump coupling hub and pull the hub off the shaft.",
        "Remove the bearing bracket screws at the drive end and lift off the bracket with the drive-end bearing.",
        "Loosen the seal cartridge set screws, fit the QT-14 setting plate and pull the cartridge off the shaft.",
        "Unscrew the tie bolt nuts at the non-drive end evenly, half a turn at a time.",
        "Lift off the non-drive-end bearing housing and the discharge casing.",
        "Hold the shaft with the QT-11 spanner and unscrew the impeller lock nut. It has a left-hand thread: "
        "turn it clockwise to loosen it.",
        "Pull off the impellers, keys, diffusers and stage casings one by one, in order, and lay them out on the "
        "bench in the same order.",
        "Inspect the impellers for erosion and cracks, the diffuser wear rings for grooves, and the shaft for "
        "runout; replace wear rings when the diametral clearance exceeds 0.6 mm.",
    ]
    for n, s in enumerate(steps, 1):
        w(f"{n}. {s}")
    w("")
    w("## 11.5 Replacing the mechanical seal")
    w("")
    w("The seal is supplied as a complete cartridge and is never taken apart on site. Clean the shaft where the "
      "cartridge sits and check it for scratches: a scratched shaft under the O-ring of the sleeve lets liquid "
      "escape. Lubricate the O-rings with clean water or glycerine, never with grease or oil, which attack EPDM. "
      "Slide the cartridge onto the shaft with the QT-14 setting plate in place, tighten the clamping nuts to "
      "38 N·m, then the set screws to 8 N·m, and only then remove the setting plate.")
    w("")
    w("## 11.6 Replacing the bearings")
    w("")
    w("Pull the old bearings off with the QT-21 puller, acting on the inner ring only. Heat the new bearings "
      "to 80 °C on an induction heater and slide them onto the shaft up to the shoulder; never hammer a "
      "bearing onto the shaft. Let them cool before you fit the bearing covers (22 N·m). Sealed bearings "
      "(suffix 2Z) need no grease; on housings with grease nipples, fill a third of the free space in the "
      "housing with grease.")
    w("")
    w("## 11.7 Reassembling the rotating assembly")
    w("")
    steps = [
        "Clean all parts and check that the keyways and the shaft are free of burrs.",
        "Fit new O-rings to the stage casings, lightly wetted with water.",
        "Slide the first stage casing, diffuser and impeller with its key onto the shaft, in the order and "
        "position marked during dismantling.",
        "Repeat for each stage, turning the shaft by hand after each one to make sure nothing rubs.",
        "Fit the last impeller and check that its hub sits against the spacer sleeve.",
        MANUAL_FACT,
        "Bend one tab of the washer into the slot of the nut.",
        "Fit the discharge casing and the tie bolts, and tighten the tie bolts crosswise to 165 N·m.",
        "Turn the shaft by hand: it must turn smoothly, with no scraping from the wear rings.",
        "Fit the seal cartridge (11.5), the bearings (11.6), the bearing brackets and the coupling hub.",
        "Align pump and motor (5.3), fit the coupling guard and reconnect the sensor cables.",
        "Fill and vent the pump (6.2) and start it as for the first start (6.4).",
    ]
    for n, s in enumerate(steps, 1):
        w(f"{n}. {s}")
    w("")
    w("NOTE: the lock nut is what keeps the impeller stack pressed together. A nut tightened too little lets "
      "the impellers move on the shaft and wear the keys; a nut tightened too much stretches the shaft end.")
    w("")


TROUBLES = [  # (symptom, [(cause, remedy), ...])
    ("The pump does not start", [
        ("no supply voltage", "check the main switch, the fuses and the supply terminals"),
        ("the pump has not been released", "press START on the keypad; check the remote start/stop contact"),
        ("an error is active", "read the error code on the display and see chapter 13"),
        ("the pressure is above the restart pressure", "no fault: the pump starts when the pressure falls"),
    ]),
    ("The pump starts but delivers no liquid", [
        ("the pump is not filled or not vented", "fill and vent the pump (6.2)"),
        ("the suction valve is closed", "open the suction valve fully"),
        ("the suction strainer is blocked", "clean the strainer (10.5)"),
        ("the foot valve leaks (suction lift)", "repair or replace the foot valve"),
        ("wrong direction of rotation", "check the direction (6.3)"),
    ]),
    ("The flow or the pressure is too low", [
        ("the speed is too low", "check P03, P13 and P14 and the actual speed on the display"),
        ("air enters the suction pipe", "tighten the suction joints; check the gland of the suction valve"),
        ("the impellers or wear rings are worn", "inspect them (11.4)"),
        ("the system resistance is higher than planned", "check the valves in the discharge line"),
        ("the pressure transmitter reads too high", "check the transmitter against a gauge"),
    ]),
    ("The pressure swings up and down", [
        ("the controller gain is too high", "lower P18 in small steps"),
        ("the integral time is too short", "raise P19"),
        ("the pressure vessel has no pre-charge", "check and correct the pre-charge (10.4)"),
        ("air in the pump", "vent the pump"),
    ]),
    ("The pump starts and stops too often", [
        ("the pressure vessel is too small or has lost its pre-charge", "check the vessel (10.4)"),
        ("the restart difference P04 is too small", "raise P04"),
        ("the non-return valve leaks back", "inspect and replace the non-return valve"),
        ("a small leak in the plant", "look for dripping taps, running toilets or leaking pipes"),
    ]),
    ("The pump does not stop when no water is drawn", [
        ("low-flow detection is switched off", "set P20 to 1 or 2"),
        ("the non-return valve is stuck open", "inspect the valve"),
        ("a constant draw somewhere in the plant", "close sections of the plant one by one to find it"),
        ("the flow meter gives false pulses", "check the flow meter and P45"),
    ]),
    ("The mechanical seal leaks", [
        ("the seal ran dry", "replace the seal cartridge and find out why the pump ran dry"),
        ("the liquid is too hot for the seal", "check the liquid temperature against 3.2"),
        ("the seal faces are worn after long service", "replace the seal cartridge (11.5)"),
        ("abrasive particles in the liquid", "fit a finer strainer in the suction line"),
        ("the cartridge was fitted without the setting plate", "refit the cartridge correctly"),
    ]),
    ("The bearings are hot", [
        ("misalignment of pump and motor", "check the alignment (5.3)"),
        ("too much or too little grease", "follow the quantities in 10.8"),
        ("forces from the piping act on the pump", "check the pipe supports"),
        ("the bearing is worn", "replace the bearing (11.6)"),
    ]),
    ("The pump vibrates or is noisy", [
        ("cavitation: the suction pressure is too low", "check the NPSH available against the table in 3.3"),
        ("the pump runs far to the right of its curve", "throttle the discharge or lower the speed"),
        ("misalignment", "realign pump and motor"),
        ("a worn coupling spider", "replace the spider (10.6)"),
        ("the foundation bolts are loose", "tighten them to 260 N·m"),
        ("a resonance of the pipework at a certain speed", "set a skip band with P55 and P56"),
    ]),
    ("The motor overload trips", [
        ("the pump runs far to the right of its curve", "check the flow and the discharge valve"),
        ("the liquid is heavier or thicker than water", "check the liquid against the order data"),
        ("P46 is set below the motor rated current", "set P46 to the rating plate value"),
        ("the pump rubs inside", "turn the shaft by hand; dismantle the pump if it is stiff"),
        ("a phase is missing", "measure the voltage on all three phases"),
    ]),
    ("The motor gets hot", [
        ("the fan inlet is blocked", "clean the fan cover and the cooling ribs"),
        ("the ambient temperature is too high", "ventilate the pump room"),
        ("the pump runs for long periods at very low speed", "raise P13; the motor fan cools less at low speed"),
        ("unbalanced supply voltage", "have the supply checked"),
    ]),
    ("The display stays dark", [
        ("no supply", "check the fuses and the main switch"),
        ("the display brightness is set very low", "press any key; check P08"),
        ("the ribbon cable to the display is loose", "isolate the supply and reseat the cable"),
    ]),
    ("The fieldbus does not communicate", [
        ("wrong address, baud rate or parity", "compare P39, P40 and P41 with the master"),
        ("A and B are swapped", "swap the two wires"),
        ("no termination at the end of the bus", "switch on the 120 Ω termination on the last device"),
        ("the cable is too long or not screened", "use a screened twisted-pair cable, at most 1,200 m"),
    ]),
    ("Water hammer when the pump stops", [
        ("the deceleration ramp is too short", "raise P16"),
        ("the non-return valve closes too slowly", "fit a spring-loaded non-return valve"),
        ("the pipe fill function is off on a long discharge pipe", "set P29 to 1"),
    ]),
    ("The pump is slow to reach the set pressure", [
        ("the acceleration ramp is too long", "lower P15"),
        ("the maximum speed is limited", "check P14"),
        ("the pipe fill function is active", "normal after a power failure; the pump speeds up after P30"),
    ]),
    ("The duty and standby pumps do not exchange", [
        ("P35 is not set on both controllers", "set P35 = 1 on both"),
        ("the fieldbus link between the controllers is broken", "check the cable and W-612 in the log"),
        ("one pump has an active lockout", "clear the lockout after repairing its cause"),
    ]),
]


def _ch12_troubleshooting(w) -> None:
    w("# 12 Troubleshooting")
    w("")
    w("Work through the causes of a symptom from the top: they are listed roughly from the most to the least "
      "likely. Before any work inside an enclosure or on the pump, isolate the supply (1.2). When the display "
      "shows an error code, look it up in chapter 13 first.")
    w("")
    for n, (symptom, causes) in enumerate(TROUBLES, 1):
        w(f"## 12.{n} {symptom}")
        w("")
        w(pick(symptom, [
            "This symptom can have several causes; check them in this order.",
            "Check the following causes one by one.",
            "The causes below are listed from the most to the least likely.",
            "Before you dismantle anything, work through these causes.",
        ]))
        w("")
        w("Possible cause | What to do")
        for cause, remedy in causes:
            w(f"{cause[0].upper()}{cause[1:]} | {remedy[0].upper()}{remedy[1:]}")
        w("")
        w(pick(symptom + "after", [
            "If none of these causes applies, note the values on the display and contact the service department "
            "with the serial number of the pump.",
            "After the repair, watch the pump for at least one full start-stop cycle.",
            "Write the cause you found and what you did in the log sheet; the next technician will thank you.",
            "If the fault appeared right after work on the plant, start with what was changed during that work.",
            "Keep the event log export from before and after the repair; it shows whether the fix worked.",
            "When the same fault comes back within weeks, look for a cause outside the pump: piping, supply or "
            "the way the plant is run.",
        ]))
        w("")


ERRORS = [  # (code, title, class, cause, action)
    ("E-101", "Motor overcurrent", "Lockout", "the motor current exceeded 1.5 times P46 for more than 2 s",
     "check the pump for rubbing and the motor for a winding fault; measure the insulation (10.9)"),
    ("E-102", "Motor overload", "Alarm", "the electronic overload relay tripped (class P51)",
     "check the flow, the liquid and P46; see 12.10"),
    ("E-103", "Phase missing", "Alarm", "one supply phase is missing or much lower than the others",
     "check fuses and supply terminals"),
    ("E-104", "Supply voltage low", "Alarm", "the supply voltage fell below 340 V for more than 5 s",
     "have the supply checked; the pump restarts when the voltage is back"),
    ("E-105", "Supply voltage high", "Alarm", "the supply voltage rose above 460 V (50 Hz units)",
     "have the supply checked"),
    ("E-106", "Motor thermistor", "Alarm", "the thermistor chain on terminals 31 and 32 tripped",
     "let the motor cool; clean the fan inlet; check the ambient temperature"),
    ("E-107", "Thermistor wiring", "Lockout", "the thermistor chain reads as a short circuit",
     "check the cable between motor and controller"),
    ("E-108", "Earth fault", "Lockout", "current is flowing to earth in the motor or the motor cable",
     "isolate the supply; measure the insulation of cable and motor"),
    ("E-109", "Motor phase lost", "Lockout", "one motor phase is open between drive and motor",
     "check the motor cable and the terminal box"),
    ("E-110", "Motor stalled", "Lockout", "the motor did not reach the minimum speed within 10 s",
     "turn the shaft by hand; check for a blocked impeller"),
    ("E-121", "Drive overtemperature", "Alarm", "the heat sink of the drive is above 90 °C",
     "clean the heat sink and check the cooling fan (10.10)"),
    ("E-122", "Drive fan failure", "Warning", "the drive cooling fan does not turn",
     "replace the fan at the next stop; the drive reduces its output meanwhile"),
    ("E-123", "DC bus overvoltage", "Alarm", "the DC bus voltage rose during braking",
     "lengthen the deceleration ramp P16"),
    ("E-124", "DC bus undervoltage", "Alarm", "the DC bus voltage fell, usually during a supply dip",
     "no action for a single event; check the supply if it repeats"),
    ("E-125", "Drive hardware fault", "Lockout", "the drive self-test failed",
     "switch the supply off and on; replace the drive if the error remains"),
    ("E-211", "Dry running", "Alarm", "the power curve shows the pump running without liquid",
     "fill and vent the pump; check the supply tank and the suction valve"),
    ("E-212", "Low tank level", "Alarm", "the low-level switch on terminals 13 and 14 opened",
     "refill the tank; the pump restarts when the switch closes"),
    ("E-213", "Repeated dry running", "Lockout", "more than P27 dry-run alarms within one hour",
     "find the cause of the repeated dry running before you reset"),
    ("E-214", "Suction pressure low", "Alarm", "the suction pressure fell below P25",
     "check the supply pressure, the suction valve and the strainer"),
    ("E-221", "Discharge pressure high", "Alarm", "the discharge pressure rose above P26",
     "check for closed valves and for a wrong set point"),
    ("E-222", "Discharge pressure not reached", "Alarm", "the set pressure was not reached within 120 s at "
     "maximum speed", "look for a burst pipe or an open drain; check the pump for wear"),
    ("E-223", "Pipe fill time exceeded", "Alarm", "the pressure did not rise during the pipe fill time P30",
     "check for a large leak or an empty discharge pipe"),
    ("E-231", "Discharge transmitter signal", "Alarm", "the signal on terminals 1 and 2 is below 3.5 mA or "
     "above 21 mA", "check the transmitter and its cable"),
    ("E-232", "Suction transmitter signal", "Warning", "the signal on terminals 3 and 4 is out of range",
     "check the transmitter; dry-run protection falls back to the power curve"),
    ("E-233", "External set point signal", "Warning", "the signal on terminals 5 and 6 is out of range",
     "check the signal source; the controller uses P02 meanwhile"),
    ("E-234", "Flow meter signal", "Warning", "no pulses while the pump runs above half speed",
     "check the flow meter; low-flow detection falls back to the speed test"),
    ("E-301", "Low flow", "Warning", "the pump ran below the minimum flow for more than 10 minutes",
     "check the low-flow settings P20 to P22"),
    ("E-302", "Too many starts", "Warning", "more starts per hour than the limit in 3.2",
     "check the pressure vessel and P04"),
    ("E-303", "Liquid temperature high", "Alarm", "the liquid in the pump is heating at shut-off",
     "open the discharge valve; check the low-flow stop"),
    ("W-411", "Vibration high", "Warning", "the vibration velocity exceeded P31",
     "check alignment, coupling and foundation bolts; see 12.9"),
    ("E-412", "Vibration trip", "Alarm", "the vibration velocity exceeded P32",
     "do not restart until the cause is found; see 12.9"),
    ("E-413", "Vibration sensor signal", "Warning", "the vibration sensor signal is out of range",
     "check the sensor and its cable"),
    ("W-421", "Bearing temperature high", "Warning", "a bearing temperature exceeded P33",
     "check lubrication and alignment; see 12.8"),
    ("E-422", "Bearing temperature trip", "Alarm", "a bearing temperature exceeded P34",
     "let the pump cool; inspect the bearing before you restart"),
    ("E-423", "Bearing sensor signal", "Warning", "a Pt100 input reads an open or short circuit",
     "check the sensor and its cable"),
    ("E-501", "External fault", "Alarm", "the contact on terminals 15 and 16 opened (reaction set by P49)",
     "check the device connected to the input"),
    ("E-502", "Emergency stop", "Lockout", "the emergency-stop circuit was opened",
     "release the emergency-stop button after the danger is over; then reset"),
    ("W-611", "Partner pump missing", "Warning", "the partner controller does not answer on the fieldbus",
     "check the fieldbus cable and the partner's supply"),
    ("W-612", "Fieldbus timeout", "Warning", "no message from the master for longer than P42",
     "check the master and the bus cable"),
    ("E-613", "Duplicate address", "Warning", "another device on the bus uses the same address",
     "give each controller its own P39"),
    ("W-701", "Service due", "Warning", "the running hours passed the service interval P53",
     "carry out the service; then reset the reminder with P54"),
    ("E-801", "Parameter memory", "Lockout", "the parameter memory failed its checksum",
     "restore the parameters from a USB export or load factory settings with P57"),
    ("E-802", "Software mismatch", "Lockout", "the controller and drive software versions do not match",
     "update both to the same version (P59 shows them)"),
    ("E-803", "Real-time clock", "Warning", "the clock battery is empty; event times are wrong",
     "replace the CR2032 cell on the controller board"),
    ("E-804", "USB export failed", "Warning", "the USB stick is missing, full or not FAT32",
     "use an empty FAT32 stick"),
]

CLASSES = {
    "Warning": "The pump keeps running. The yellow LED lights and the warning disappears when its cause is gone.",
    "Alarm": "The pump stops and restarts by itself after P28 seconds when the cause is gone, up to P27 times "
             "per hour; after that the alarm becomes a lockout.",
    "Lockout": "The pump stops and stays stopped until the cause is removed and the error is reset by pressing "
               "STOP and then OK for three seconds.",
}


def _ch13_error_codes(w) -> None:
    w("# 13 Error codes")
    w("")
    w("## 13.1 Classes of events")
    w("")
    for cls, text in CLASSES.items():
        w(f"{cls}: {text}")
    w("")
    w("## 13.2 List of codes")
    w("")
    w("Each line gives the code, the text shown on the display, the class, the cause the controller has "
      "detected and what to do. Codes starting with W are warnings only.")
    w("")
    w("Code | Display text | Class | Cause | Action")
    for code, title, cls, cause, action in ERRORS:
        w(f"{code} | {title} | {cls} | {cause[0].upper()}{cause[1:]} | {action[0].upper()}{action[1:]}")
    w("")
    w("## 13.3 Notes on individual codes")
    w("")
    for code, title, cls, cause, action in ERRORS:
        lead = pick(code, [
            f"{code} ({title}) means that {cause}.",
            f"The controller shows {code}, {title}, when it has found that {cause}.",
            f"{code}, {title}: the controller has detected that {cause}.",
        ])
        where = pick(code + "w", [
            "The event log records the pressure, speed and current at the moment of the event, which often "
            "shows the cause at a glance.",
            "If the code appears after work on the pump, check first what was changed during that work.",
            "A single occurrence after a power failure or a supply dip is usually harmless.",
            "When the code appears together with others, deal with the lowest-numbered one first; the others "
            "often follow from it.",
            "",
            "",
        ])
        text = f"{lead} Class: {cls}. {action[0].upper()}{action[1:]}."
        if where:
            text += " " + where
        w(text)
        w("")


SPARES = [  # (part number, description, qty per pump, recommended stock)
    ("620-101", "O-ring set, stage casings, EPDM (per stage)", "1 per stage", "1 set"),
    ("620-102", "O-ring set, stage casings, FKM (per stage)", "1 per stage", "1 set"),
    ("620-110", "Mechanical seal cartridge 28 mm, carbon/SiC/EPDM", "1", "1"),
    ("620-111", "Mechanical seal cartridge 28 mm, SiC/SiC/FKM", "1", "1"),
    ("620-120", "Ball bearing 6307-2Z/C3, drive end", "1", "1"),
    ("620-121", "Ball bearing 6306-2Z/C3, non-drive end", "1", "1"),
    ("620-130", "Impeller, stainless steel, with key", "1 per stage", "-"),
    ("620-131", "Diffuser with PTFE wear ring", "1 per stage", "-"),
    ("620-132", "Wear ring, PTFE, set of 5", "-", "1 set"),
    ("620-140", "Impeller lock nut M24 LH with tab washer", "1", "2"),
    ("620-141", "Tab washer, impeller lock nut", "1", "5"),
    ("620-150", "Coupling spider, 98 Shore A", "1", "2"),
    ("620-151", "Coupling hub, pump side", "1", "-"),
    ("620-160", "Tie bolt M16 with nuts, set of 4 (state number of stages)", "1 set", "-"),
    ("620-170", "Vent plug G 3/8 with sealing washer", "2", "2"),
    ("620-171", "Drain plug G 3/8 with sealing washer", "1", "2"),
    ("620-180", "Pressure transmitter 0-25 bar, 4-20 mA", "1", "1"),
    ("620-181", "Pressure transmitter -1 to 9 bar, 4-20 mA", "optional", "-"),
    ("620-182", "Vibration sensor 0-20 mm/s, 4-20 mA", "1", "-"),
    ("620-183", "Pt100 sensor with 2 m cable", "2", "1"),
    ("620-190", "QC-7 display unit", "1", "-"),
    ("620-191", "QC-7 control board", "1", "-"),
    ("620-192", "QC-7 drive cooling fan", "1", "1"),
    ("620-193", "Cable gland set M20/M25", "1 set", "1 set"),
    ("620-194", "CR2032 cell for the real-time clock", "1", "2"),
    ("620-200", "Special tool QT-11 coupling spanner", "-", "1 per site"),
    ("620-201", "Special tool QT-14 seal setting plate", "-", "1 per site"),
    ("620-202", "Special tool QT-21 bearing puller", "-", "1 per site"),
]


def _ch14_spares(w) -> None:
    w("# 14 Spare parts")
    w("")
    w("When ordering spare parts, give the model code and the serial number from the rating plate, the part "
      "number and the quantity. Parts marked '-' in the stock column need not be kept on site for a single pump; "
      "for plants with several pumps, keep at least the recommended stock.")
    w("")
    w("Part number | Description | Quantity per pump | Recommended stock")
    for part in SPARES:
        w(" | ".join(part))
    w("")


GLOSSARY = [
    ("Axial thrust", "the force along the shaft produced by the pressure difference across the impellers"),
    ("Balance line", "a pipe that returns a small flow from the discharge side to the seal chamber and so "
                     "reduces the axial thrust and cools the seal"),
    ("Best efficiency point (BEP)", "the flow at which the pump converts the largest share of shaft power into "
                                    "hydraulic power"),
    ("Cartridge seal", "a mechanical seal supplied pre-assembled on its own sleeve, fitted as one unit"),
    ("Cavitation", "the forming and collapse of vapour bubbles where the pressure drops below the vapour "
                   "pressure of the liquid; it erodes impellers and makes a crackling noise"),
    ("Diffuser", "the stationary part around each impeller that converts velocity into pressure"),
    ("Dry running", "running the pump without liquid; it destroys the mechanical seal within seconds"),
    ("Duty point", "the flow and head at which the pump is meant to operate in the plant"),
    ("Duty/standby", "an arrangement of two pumps where one runs and the other takes over on a fault"),
    ("Head", "the energy the pump gives to the liquid, expressed as the height of a column of that liquid"),
    ("Impeller", "the rotating wheel with vanes that gives energy to the liquid"),
    ("Insulation resistance", "the resistance between the motor windings and earth; a low value shows "
                              "moisture or damage"),
    ("Lockout", "an error that keeps the pump stopped until a person resets it"),
    ("Low-flow stop", "the function that stops the pump when no liquid is drawn"),
    ("Mechanical seal", "a seal made of two flat rings, one turning with the shaft and one fixed, pressed "
                        "together and lubricated by a thin film of liquid"),
    ("NPSH", "net positive suction head; the pressure margin above vapour pressure at the pump inlet. The NPSH "
             "available in the plant must exceed the NPSH required by the pump"),
    ("Pre-charge", "the gas pressure in a pressure vessel when its water side is empty"),
    ("PTC thermistor", "a temperature sensor whose resistance rises steeply at a set temperature; used to "
                       "protect motor windings"),
    ("Pt100", "a platinum resistance thermometer with 100 Ω at 0 °C"),
    ("Restart pressure", "the pressure at which a stopped pump starts again: the set point minus P04"),
    ("Shut-off head", "the head the pump produces at zero flow"),
    ("Skip band", "a range of speeds the drive passes through quickly to avoid a resonance"),
    ("Spider", "the elastomer insert between the two hubs of a jaw coupling"),
    ("Stage", "one impeller with its diffuser and stage casing"),
    ("Suction lift", "an installation where the liquid level is below the pump, so the pump must draw "
                     "the liquid up"),
    ("Tab washer", "a washer with tabs that are bent against a nut to stop it from turning loose"),
    ("Tie bolts", "the long bolts that hold the stage casings between the suction and discharge casings"),
    ("Variable-speed drive", "an electronic device that sets the motor speed by changing the frequency of "
                             "the supply"),
    ("Vibration velocity", "the root-mean-square speed of the vibrating bearing housing, in mm/s, the usual "
                           "measure of machine vibration"),
    ("Water hammer", "a pressure surge caused by a sudden change of flow, for example when a valve slams shut"),
    ("Wear ring", "a replaceable ring that keeps the gap between impeller and diffuser small"),
]


def _ch15_glossary(w) -> None:
    w("# 15 Glossary")
    w("")
    for term, text in GLOSSARY:
        w(f"{term}: {text}.")
    w("")


def _appendices(w) -> None:
    w("# Appendix A: Operating log sheet")
    w("")
    w("Copy this sheet and fill in one line per reading. Take readings at the same flow and speed each time.")
    w("")
    w("Date | Running hours | Speed (rpm) | Discharge pressure (bar) | Motor current (A) | Vibration DE (mm/s) | "
      "Bearing DE (°C) | Bearing NDE (°C) | Remarks | Initials")
    w("")
    w("# Appendix B: Revision history")
    w("")
    for rev, text in [("A", "first edition"), ("B", "parameters P55 and P56 added; chapter 9 rewritten"),
                      ("C", "grease nipples on bearing housings (10.8); new error codes E-803 and E-804"),
                      ("D", "reassembly procedure 11.7 revised; torque table moved to 11.3")]:
        w(f"Revision {rev}: {text}.")
    w("")


# --- further sections of the manual (kept apart from the chapter bodies above for readability) -------------------

LIQUIDS = [  # (liquid, limits, materials, seal, remarks)
    ("Drinking water", "up to 60 °C", "S or N", "E",
     "materials in contact with the water are approved for drinking water"),
    ("Hot water in heating circuits", "up to 120 °C", "S or N", "E",
     "treated water to VDI 2035 or an equivalent rule"),
    ("Boiler feed water", "up to 140 °C", "N", "V", "oxygen below 0.02 mg/l; check the NPSH at high temperature"),
    ("Condensate", "up to 120 °C", "N", "E", "keep the suction head high: condensate is close to boiling"),
    ("Cooling water with glycol", "up to 50 % glycol, -15 °C to +90 °C", "S or N", "E",
     "raise the motor power by 10 % at 50 % glycol because of the higher viscosity"),
    ("Softened water", "up to 90 °C", "N", "E", "soft water is more corrosive to cast iron than hard water"),
    ("Demineralised water", "conductivity above 1 µS/cm, up to 90 °C", "N", "V", "all-stainless pump required"),
    ("Rain water", "up to 40 °C, filtered to 0.2 mm", "S or N", "E", "fit a fine filter in the suction line"),
    ("Well water", "up to 40 °C", "S or N", "E", "check the iron and sand content before ordering"),
    ("Washing water with detergents", "up to 80 °C, pH 6-10", "N", "V", "foam can make the pump lose its prime"),
    ("Sea water", "-", "-", "-", "not suitable: the materials of the QM-620 are not resistant to chlorides"),
    ("Light mineral oil", "up to 80 °C, up to 20 mm²/s", "S", "V", "derate the head by 8 % and check the motor"),
    ("Diesel fuel", "-", "-", "-", "not suitable: the pump and motor are not approved for flammable liquids"),
    ("Water with up to 5 % ethanol", "up to 40 °C", "N", "V", "ask for approval above 5 %"),
    ("Dilute sodium hydroxide", "up to 2 %, up to 60 °C", "N", "V", "rinse the pump after use"),
    ("Dilute phosphoric acid", "up to 1 %, up to 40 °C", "N", "V", "approval needed for continuous duty"),
]


def _ch3_liquids(w) -> None:
    w("## 3.6 Liquids and materials")
    w("")
    w("The table lists common liquids with the material code (S or N) and seal code (E or V) from the model "
      "designation (2.2) that suit them. A dash means the liquid must not be pumped with the QM-620.")
    w("")
    w("Liquid | Limits | Material | Seal | Remarks")
    for row in LIQUIDS:
        w(" | ".join(row))
    w("")
    w("Viscosity and density change the performance: a liquid denser than water needs more power for the same "
      "head, and a more viscous liquid lowers both head and efficiency. For any liquid not in the table, send "
      "the liquid data sheet to the manufacturer before ordering.")
    w("")


SITES = [  # (description, flow m³/h, static height m, residual pressure bar, friction m, suction pressure bar)
    ("a six-storey apartment building with 48 flats", 18, 21.0, 2.5, 4.2, 1.5),
    ("the ring main of a market garden with 30 sprinkler zones", 32, 6.0, 3.0, 9.5, 0.2),
    ("a hotel that fills a rooftop tank 38 m above the pump room", 24, 38.0, 1.0, 6.1, 2.0),
    ("a vehicle washing line with high-pressure nozzles", 14, 3.0, 12.0, 5.0, 0.5),
    ("the feed of a small boiler house", 9, 4.0, 14.5, 3.0, 0.8),
    ("a school building fed from a break tank", 12, 17.0, 2.0, 3.5, 0.1),
]


def _ch5_sizing(w) -> None:
    w("## 5.8 Sizing examples")
    w("")
    w("The required pump head is the sum of the static height, the pressure needed at the highest or farthest "
      "point and the friction losses in the piping, less the pressure already present at the suction flange. "
      "One bar corresponds to 10.2 m of water. The examples below pick the smallest model whose curve at "
      "2,950 rpm lies at least 5 % above the required head at the duty flow, and give the speed at which a "
      "variable-speed model meets the duty point exactly.")
    w("")
    for n, (site, q, static, residual, friction, suction) in enumerate(SITES, 1):
        head = static + residual * 10.2 + friction - suction * 10.2
        choice = next(((m, s) for m, s, *_ in VARIANTS if _head(q, s) >= 1.05 * head), None)
        if choice is None:
            raise AssertionError(f"no model fits sizing example {n}")
        model, stages = choice
        speed = 2950 * math.sqrt((head / stages + 0.0021 * q * q) / 15.8)
        power = 9.81 * (q / 3600) * head / max(_efficiency(q * 2950 / speed), 0.3)
        w(f"### Example {n}")
        w("")
        w(f"Duty: {site}, {q} m³/h. Static height {static:.1f} m, required pressure at the end {residual:.1f} bar "
          f"({residual * 10.2:.1f} m), friction losses {friction:.1f} m, suction pressure {suction:.1f} bar "
          f"({suction * 10.2:.1f} m). Required head: {static:.1f} + {residual * 10.2:.1f} + {friction:.1f} - "
          f"{suction * 10.2:.1f} = {head:.1f} m.")
        w("")
        w(f"The {model} gives {_head(q, stages):.1f} m at {q} m³/h and 2,950 rpm, and is chosen. A variable-speed "
          f"unit would run at about {round(speed, -1):,.0f} rpm at the duty point, taking roughly {power:.1f} kW "
          f"at the shaft. " + pick(site, [
              "Check the NPSH available at the highest liquid temperature before confirming the choice.",
              "Allow for the pressure drop of the strainer when it is half clogged.",
              "A pressure vessel on the discharge side reduces the number of starts at night.",
              "If the demand is expected to grow, the next larger model leaves a reserve.",
          ]))
        w("")


PROFILES = [
    ("Pressure boosting in a residential building", [
        ("P01", "1", "constant pressure"),
        ("P02", "5.5 bar", "enough for the top floor plus about one bar at the tap"),
        ("P04", "0.5 bar", "keeps the number of starts low with an 80-litre vessel"),
        ("P20", "1", "low-flow stop by speed test: no flow meter needed"),
        ("P23", "1", "dry-run protection by power curve"),
        ("P35", "1", "duty/standby when two pumps are installed"),
        ("P38", "48 h", "exercises the standby pump"),
    ]),
    ("Irrigation ring main", [
        ("P01", "1", "constant pressure at the sprinklers"),
        ("P02", "4.0 bar", "what the sprinkler nozzles need"),
        ("P15", "10 s", "a slower ramp is kinder to long plastic pipes"),
        ("P29", "1", "pipe fill at the start of each season and after a burst"),
        ("P30", "240 s", "long pipes take several minutes to fill"),
        ("P25", "0.1 bar", "the pump draws from an open tank"),
    ]),
    ("Boiler feed", [
        ("P01", "2", "constant speed; the boiler's level controller switches the pump"),
        ("P03", "2950 rpm", "full speed for the boiler pressure"),
        ("P06", "0 s", "the level controller decides when to stop"),
        ("P33", "90 °C", "hot feed water warms the bearings"),
        ("P34", "100 °C", "trip just above the warning"),
    ]),
    ("Washing line", [
        ("P01", "3", "the line controller sends the set point for each programme"),
        ("P17", "1", "4-20 mA from the line controller"),
        ("P16", "8 s", "avoids water hammer when the nozzles close"),
        ("P49", "1", "the line's emergency stop acts on the external fault input"),
    ]),
]


def _ch7_profiles(w) -> None:
    w("## 7.4 Typical settings for common applications")
    w("")
    w("The settings below are starting points. Adjust them during commissioning and note the final values in "
      "the commissioning record (6.5). Parameters not listed keep their defaults.")
    w("")
    for title, rows in PROFILES:
        w(f"### {title}")
        w("")
        for code, value, why in rows:
            name = next(p[1] for p in PARAMETERS if p[0] == code)
            w(f"- {code} {name} = {value}: {why}.")
        w("")
    w("## 7.5 Status messages on the display")
    w("")
    w("Message | Meaning")
    for message, meaning in [
            ("READY", "released for automatic operation; waiting for demand"),
            ("RUN", "the pump is running in the selected mode"),
            ("RUN LOW FLOW TEST", "the controller is checking whether water is still drawn"),
            ("BOOST", "the pressure is being raised by P21 before a low-flow stop"),
            ("STOP KEY", "stopped with the STOP key; press START to release"),
            ("STOP REMOTE", "stopped by the remote start/stop contact"),
            ("PIPE FILL", "filling the discharge pipe at reduced speed (P29, P30)"),
            ("WAIT RESTART", "an alarm is waiting for its automatic restart (P28)"),
            ("LOCKOUT", "stopped by a lockout; reset needed after the cause is removed"),
            ("STANDBY", "this pump is the standby pump of a duty/standby pair"),
            ("ASSIST", "this pump runs to help the duty pump hold the pressure"),
            ("EXERCISE", "a short exercise run of an idle pump (P38)"),
            ("MANUAL", "running at the fixed speed P03 for a test; protection stays active"),
            ("USB", "writing the event log and parameters to a USB stick"),
            ("SERVICE DUE", "the service interval has elapsed (W-701)")]:
        w(f"{message} | {meaning}")
    w("")


OVERHAULS = [
    ("4,000 hours", ["regrease both bearings (10.8)", "check the coupling spider", "compare vibration and "
                     "bearing temperatures with the commissioning record"]),
    ("8,000 hours", ["all tasks of the 4,000-hour service", "replace the coupling spider", "check the "
                     "alignment", "measure the insulation resistance", "check the pressure transmitter"]),
    ("16,000 hours", ["all tasks of the 8,000-hour service", "replace the mechanical seal cartridge",
                      "replace both bearings", "replace the O-rings of any joint you open"]),
    ("24,000 hours", ["all tasks of the 16,000-hour service", "dismantle the hydraulics and measure the wear "
                      "ring clearances (11.4)", "replace the impeller lock nut's tab washer and all O-rings",
                      "run a performance test after reassembly (11.8)"]),
]


def _ch10_overhauls(w) -> None:
    w("## 10.11 Service visits by running hours")
    w("")
    w("A service visit groups the tasks that fall due together. Reset the service reminder with P54 after each "
      "visit so that W-701 appears again at the next one.")
    w("")
    for hours, tasks in OVERHAULS:
        w(f"At {hours}: " + "; ".join(tasks) + ".")
        w("")
    w("## 10.12 Service visit report")
    w("")
    w("Record at least the following at every visit: date, running hours (P52), the tasks done, the parts "
      "replaced with their part numbers, the vibration and bearing temperatures before and after, the "
      "discharge pressure and current at a known speed, any error codes found in the event log since the last "
      "visit, and the name of the technician. Keep the reports with this manual.")
    w("")


def _ch11_test_run(w) -> None:
    w("## 11.8 Test run after an overhaul")
    w("")
    for n, s in enumerate([
            "Start the pump against a discharge valve opened by a quarter and listen for rubbing.",
            "Run it for 15 minutes at the duty point and check the seal for leaks.",
            "Measure the discharge pressure at three flows and compare it with the curve in 3.3; a shortfall "
            "of more than 5 % of the head means the hydraulics were not assembled correctly.",
            "Measure the vibration at both bearings; it must not exceed 2.8 mm/s.",
            "After one hour, check the bearing temperatures and the alignment once more.",
            "Note all values in the service visit report (10.12)."], 1):
        w(f"{n}. {s}")
    w("")


CASES = [
    ("The pump that started every forty seconds",
     "A booster set in an office building started and stopped about ninety times an hour at night, when "
     "hardly any water was drawn. The event log showed W-302 every evening. The pressure vessel had lost its "
     "pre-charge: its membrane had torn, and the vessel was full of water. After the membrane was replaced and "
     "the pre-charge set to 0.9 times the restart pressure, the pump started four times an hour at night."),
    ("Hot bearings after a motor replacement",
     "Two weeks after a motor had been replaced, the drive-end bearing of a six-stage pump ran at 92 °C and "
     "warning W-421 appeared daily. The new motor had been shimmed at only two feet, and the coupling was "
     "0.4 mm out in parallel offset. After realignment the bearing settled at 64 °C."),
    ("Crackling at full flow",
     "An irrigation pump made a noise like gravel in the pipe whenever all zones were open. The suction strainer "
     "was half blocked by algae from the open tank, the NPSH available fell below the NPSH required, and the "
     "pump cavitated. Cleaning the strainer and moving the suction inlet lower in the tank cured it; the first "
     "impeller already showed pitting and was replaced at the next overhaul."),
    ("A dry-run alarm with a full tank",
     "A pump in a school stopped with E-211 every Monday morning, although the break tank was full. The power "
     "curve method mistook the very low demand over the weekend for dry running, because P46 had been set to "
     "the rated current of a larger motor. With P46 corrected, the alarm did not return."),
    ("Pressure swinging by one bar",
     "After the controller was replaced, the pressure of a hotel booster set swung between 4.5 and 5.5 bar every "
     "few seconds. The new controller had been loaded with a parameter file from a plant with a much larger "
     "pressure vessel, and P18 was set to 9.0. Lowering the gain to 2.5 and lengthening the integral time to "
     "1.5 s made the pressure steady."),
    ("A seal that leaked after every overhaul",
     "On one site the mechanical seal leaked within days after each overhaul. The cause was the grease used on "
     "the O-rings: a mineral grease that swelled the EPDM. Since the technicians switched to glycerine (11.5), "
     "the seals have run their full interval."),
]


def _ch12_cases(w) -> None:
    w(f"## 12.{len(TROUBLES) + 1} Cases from the field")
    w("")
    w("The cases below are typical of the questions the service department receives. They show how the event "
      "log, the trend values and a little patience find causes that the symptom alone does not reveal.")
    w("")
    for title, text in CASES:
        w(f"### {title}")
        w("")
        w(text)
        w("")


EVENT_LOG = [
    ("2025-01-06 07:12", "10,842", "W-701 Service due", "2,870", "5.5", "21.3"),
    ("2025-01-09 14:30", "10,911", "P54 service reminder reset", "-", "-", "-"),
    ("2025-02-17 03:41", "11,838", "W-411 Vibration high", "2,910", "5.5", "21.8"),
    ("2025-02-17 03:44", "11,838", "W-411 cleared", "2,600", "5.5", "18.9"),
    ("2025-02-24 02:58", "12,006", "W-411 Vibration high", "2,930", "5.4", "22.0"),
    ("2025-03-02 04:15", "12,150", "W-411 Vibration high", "2,950", "5.4", "22.2"),
    ("2025-03-02 04:16", "12,150", "E-412 Vibration trip", "2,950", "5.3", "22.4"),
    ("2025-03-02 04:17", "12,150", "Standby pump started (duty/standby)", "-", "5.2", "-"),
    ("2025-03-02 09:05", "12,150", "STOP key", "-", "-", "-"),
    ("2025-03-02 11:40", "12,150", "E-412 reset", "-", "-", "-"),
    ("2025-03-02 11:52", "12,150", "RUN, manual test", "2,950", "5.5", "21.4"),
]


def _ch13_event_log(w) -> None:
    w("## 13.4 Reading the event log: an example")
    w("")
    w("The excerpt below comes from the duty pump of a two-pump booster set. Each line gives the date and time, "
      "the running hours, the event, and the speed in rpm, discharge pressure in bar and motor current in A "
      "at that moment.")
    w("")
    w("Date and time | Running hours | Event | Speed | Pressure | Current")
    for row in EVENT_LOG:
        w(" | ".join(row))
    w("")
    w("The vibration warnings appeared at night, always near full speed, and came closer together over two "
      "weeks before the trip. That pattern points to a speed-dependent cause. The technician found the coupling "
      "spider worn to half its thickness and the motor 0.3 mm low at the drive end. After the spider was "
      "replaced and the motor realigned, the vibration at full speed fell from 6.9 to 1.8 mm/s, and the manual "
      "test run at 11:52 confirmed it.")
    w("")


def _appendix_speeds(w) -> None:
    w("# Appendix C: Performance at other speeds")
    w("")
    w("Variable-speed units follow the affinity laws: the flow changes in proportion to the speed, the head "
      "with the square and the shaft power with the cube of the speed ratio. The tables give the curve of each "
      "model at six speeds, derived from the curves at 2,950 rpm in 3.3 (water at 20 °C). Above 2,950 rpm the "
      "shaft power rises beyond the rating of the standard motors; raise P14 above 2,950 rpm only with a 60 Hz motor "
      "of the next larger size and after asking the manufacturer.")
    w("")
    for model, stages, *_ in VARIANTS:
        w(f"## {model}")
        w("")
        for speed in (1200, 1500, 1800, 2100, 2400, 2700):
            r = speed / 2950
            w(f"{model} at {speed:,} rpm: flow (m³/h) / head (m) / shaft power (kW)")
            cells = []
            for q in range(10, 55, 10):
                h = _head(q, stages)
                p = 9.81 * (q / 3600) * h / _efficiency(q)
                cells.append(f"{q * r:.1f} / {h * r * r:.1f} / {p * r ** 3:.2f}")
            w("; ".join(cells))
            w("")


def _appendix_modbus(w) -> None:
    w("# Appendix D: Modbus register map")
    w("")
    w("The QC-7 answers Modbus RTU requests on terminals A, B and GND with the address, baud rate and parity "
      "set in P39 to P41. Input registers (function code 04) hold measured values; holding registers "
      "(function codes 03, 06 and 16) hold the parameters. Values with decimals are sent as integers scaled by "
      "the factor shown.")
    w("")
    w("## D.1 Input registers")
    w("")
    w("Register | Value | Unit | Scaling")
    inputs = [("Status word (see D.3)", "-", "1"), ("Active error or warning code", "-", "1"),
              ("Discharge pressure", "bar", "x 100"), ("Suction pressure", "bar", "x 100"),
              ("Speed", "rpm", "1"), ("Motor current", "A", "x 10"), ("Motor power", "kW", "x 100"),
              ("Flow (with flow meter)", "m³/h", "x 10"), ("Vibration velocity", "mm/s", "x 10"),
              ("Bearing temperature, drive end", "°C", "x 10"), ("Bearing temperature, non-drive end", "°C",
                                                                  "x 10"),
              ("Drive heat sink temperature", "°C", "1"), ("DC bus voltage", "V", "1"),
              ("Running hours, high word", "h", "1"), ("Running hours, low word", "h", "1"),
              ("Starts, high word", "-", "1"), ("Starts, low word", "-", "1"),
              ("Energy used, high word", "kWh", "1"), ("Energy used, low word", "kWh", "1"),
              ("Software version", "-", "x 100")]
    for n, (name, unit, scale) in enumerate(inputs, 1):
        w(f"3{n:04d} | {name} | {unit} | {scale}")
    w("")
    w("## D.2 Holding registers")
    w("")
    w("Register | Parameter | Unit | Scaling | Access")
    for code, name, unit, lo, hi, default, level, _what in PARAMETERS:
        number = int(code[1:])
        scale = "x 10" if "." in default or "." in hi else "1"
        access = "read only" if lo == "-" else "read/write"
        w(f"4{100 + number:04d} | {code} {name} | {unit or '-'} | {scale} | {access}")
    w("")
    w("## D.3 Status word")
    w("")
    for bit, meaning in enumerate(["released (START pressed)", "running", "warning present", "alarm present",
                                   "lockout present", "duty pump", "standby pump", "low-flow test active",
                                   "pipe fill active", "remote stop active", "service due", "USB busy"]):
        w(f"Bit {bit}: {meaning}.")
    w("Bits 12 to 15 are reserved and read as 0.")
    w("")


def _appendix_units(w) -> None:
    w("# Appendix E: Unit conversions")
    w("")
    w("Pressure (bar) | kPa | psi | Head of water (m)")
    for bar in (0.5, 1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 16, 18, 20, 22, 25):
        w(f"{bar:g} | {bar * 100:g} | {bar * 14.5038:.1f} | {bar * 10.197:.1f}")
    w("")
    w("Flow (m³/h) | l/s | l/min | US gpm")
    for q in range(5, 55, 5):
        w(f"{q} | {q / 3.6:.2f} | {q * 1000 / 60:.0f} | {q * 4.4029:.1f}")
    w("")


PARAMETER_NOTES = {
    "P01": "Most pressure boosting sets run in mode 1. Mode 0 is useful during work on the plant, because the "
           "pump then cannot start even if someone presses START.",
    "P02": "Set it to the pressure needed at the highest tap or consumer, plus about 1 bar for every 10 m that "
           "tap lies above the pump, plus about 0.5 bar for losses at peak demand.",
    "P03": "Lower the fixed speed during commissioning to fill a new plant gently, then raise it again.",
    "P04": "A larger difference means fewer starts but a wider pressure swing at the taps; 0.3 to 0.8 bar suits "
           "most buildings.",
    "P05": "Raise the delay where a toilet cistern or a dishwasher draws water in short bursts.",
    "P06": "A short delay saves energy; a longer one avoids a restart when demand returns within seconds.",
    "P07": "The language of the texts on the USB export follows the display language.",
    "P08": "A lower value extends the life of the backlight in pump rooms that are lit all day.",
    "P09": "Changing the unit does not change any stored value; only the display is converted.",
    "P10": "Lock the keypad in public buildings where people other than operators can reach the controller.",
    "P11": "A wrong range makes every pressure reading wrong by the same factor, so the pump may hold a "
           "pressure far from the set point without any warning.",
    "P12": "Set it to 0 when the suction transmitter is removed, otherwise E-232 appears.",
    "P13": "Below about 1,500 rpm the motor fan cools poorly; do not go lower for continuous duty.",
    "P14": "Raising the maximum speed above 2,950 rpm raises the head by up to 45 %; check the pressure rating of "
           "the plant first.",
    "P15": "Short ramps give a quick response; long ramps reduce water hammer and the load on the coupling.",
    "P16": "If E-123 appears when the pump stops, lengthen this ramp.",
    "P17": "The wiring of terminals 5 and 6 must match: a 4-20 mA source on a 0-10 V input reads almost zero.",
    "P18": "Change the gain in steps of about 20 % and watch the pressure for a few minutes after each step.",
    "P19": "If the pressure settles slowly after a change in demand, shorten the integral time a little.",
    "P20": "The speed test briefly lowers the speed and watches the pressure; a flow meter gives a more direct "
           "answer in plants with very small draws.",
    "P21": "The boost fills the pressure vessel so that the pump stays stopped longer.",
    "P22": "Set it slightly above the smallest draw that should keep the pump running.",
    "P23": "Method 2 is the more reliable one when a suction transmitter is fitted; method 1 needs a correctly "
           "set P46.",
    "P24": "Too short a delay causes false alarms when air passes through the pump after a tank refill.",
    "P25": "In suction-lift installations the value may be negative; the limit should keep a margin above the "
           "NPSH required.",
    "P26": "Set it at least 2 bar below the rating of the weakest component in the discharge line.",
    "P27": "When the same alarm repeats, the limit stops the pump from restarting endlessly into a fault.",
    "P28": "A longer wait lets a supply tank refill before the pump tries again.",
    "P29": "Switch it off only where the discharge pipe always stays full.",
    "P30": "Measure how long the pipe takes to fill at the first start and add a reserve of about half.",
    "P31": "Set the warning at about 1.6 times the vibration measured at commissioning.",
    "P32": "The default of 7.1 mm/s suits a pump set on a rigid foundation; on anti-vibration mounts a higher "
           "value may be needed.",
    "P33": "Hot liquids raise the bearing temperature; raise the warning limit for hot duties.",
    "P34": "Never set the trip limit higher than the temperature limit of the grease, 130 °C.",
    "P35": "Both controllers of a pair must have the same setting and different fieldbus addresses.",
    "P36": "Shorter intervals spread the wear more evenly; very short intervals cause unnecessary starts.",
    "P37": "Set it larger than the pressure swing of normal operation, otherwise the assist pump starts too often.",
    "P38": "The exercise run lasts 10 seconds and keeps the seal faces and the bearings from sticking.",
    "P39": "Each device on the same bus needs its own address.",
    "P40": "All devices on one bus must use the same baud rate.",
    "P41": "All devices on one bus must use the same parity setting.",
    "P42": "Use the timeout where the building management system must always know the state of the pump.",
    "P43": "Setting 1 lets a building management system see that the pump is ready even while it is stopped.",
    "P44": "Setting 1 avoids alarms at the control room for faults that clear themselves.",
    "P45": "The pulse value is printed on the flow meter's rating plate.",
    "P46": "Take the value for the actual supply voltage from the motor rating plate.",
    "P47": "The drive uses the rated speed to estimate the load; a wrong value spoils the dry-run detection.",
    "P48": "At 8 kHz and above, the drive's output is derated by 10 %.",
    "P49": "Choose setting 2 where the external device protects people, for example a safety door switch.",
    "P50": "Switching the thermistor input off without a replacement protection voids the motor warranty.",
    "P51": "Class 10 suits normal starts; class 20 is needed only for unusually long starts.",
    "P52": "The value cannot be set twice, so that the running hours cannot be manipulated.",
    "P53": "Shorten the interval for hot or dirty liquids.",
    "P54": "The parameter returns to 0 by itself after the reminder has been reset.",
    "P55": "Find the resonance speed by running the pump slowly up and down its range while watching the "
           "vibration reading.",
    "P56": "A band of 100 to 200 rpm is usually enough.",
    "P57": "Export the parameters with P58 before restoring factory settings.",
    "P58": "The stick must be formatted as FAT32 and have at least 8 MB free.",
    "P59": "Give both version numbers when you contact the service department.",
    "P60": "Keep the service password in a safe place; a forgotten password can only be reset at the factory.",
}

ERROR_CHECKS = {
    "E-101": "Turn the shaft by hand with the supply isolated; a stiff shaft points to the pump, a free one to "
             "the motor or cable.",
    "E-102": "Compare the motor current on the display with P46 at the duty point.",
    "E-103": "Measure the voltage between all three pairs of phases at the supply terminals.",
    "E-104": "Note the time of the events; repeated dips at the same time often come from large loads elsewhere.",
    "E-105": "Ask the supplier to check the tap setting of the local transformer.",
    "E-106": "Check whether the pump ran at very low speed for a long time before the trip.",
    "E-107": "Measure the thermistor chain at the controller end with the cable disconnected.",
    "E-108": "Disconnect the motor cable from the drive before measuring the insulation.",
    "E-109": "Check each motor terminal for a loose or burnt connection.",
    "E-110": "A blocked impeller is often caused by debris after work on the suction pipe.",
    "E-121": "Check the room temperature; above 40 °C the drive needs extra ventilation.",
    "E-122": "The fan runs only when the heat sink is warmer than 45 °C; test it after a run.",
    "E-123": "Large pumps with a long deceleration ramp may also need a braking resistor.",
    "E-124": "Check the supply cable and its connections if the event repeats without a supply dip.",
    "E-125": "Note P59 before replacing the drive and take the parameter export along.",
    "E-211": "Check that the pump is vented; trapped air looks like dry running to the controller.",
    "E-212": "Check the float switch for sticking and the tank's inflow valve.",
    "E-213": "Look for an air leak in the suction pipe or a supply that cannot keep up with the pump.",
    "E-214": "Watch the suction pressure while the pump starts; a deep dip points to an undersized suction pipe.",
    "E-221": "Check that P11 matches the transmitter range.",
    "E-222": "Walk the discharge line and look for leaks, open drains and burst pipes.",
    "E-223": "An empty discharge pipe may take longer to fill than P30 allows after a repair.",
    "E-231": "Measure the loop current with a multimeter in series with the transmitter.",
    "E-232": "Check that P12 is set to 0 when no suction transmitter is fitted.",
    "E-233": "Check the signal type against P17.",
    "E-234": "Check that the flow meter is fitted in the direction of the arrow on its body.",
    "E-301": "A closed valve in the discharge line is the usual cause.",
    "E-302": "Count the starts per hour from the event log and compare them with the limit.",
    "E-303": "Touch the discharge pipe carefully: a hot pipe at a stopped consumer confirms running at shut-off.",
    "W-411": "Compare the reading with the last trend values; a sudden jump needs faster action than a slow rise.",
    "E-412": "Check the coupling spider and the foundation bolts before the restart.",
    "E-413": "Check that the sensor sits on its machined pad and that the connector is dry.",
    "W-421": "Compare both bearing temperatures; only one hot bearing points to that bearing.",
    "E-422": "Let the pump cool completely and turn the shaft by hand before any restart.",
    "E-423": "Measure the Pt100 at the controller end: about 110 Ω at room temperature.",
    "E-501": "Check the wiring of terminals 15 and 16 and the device that opens the contact.",
    "E-502": "Find out why the emergency stop was pressed before resetting.",
    "W-611": "Check the partner controller's display for its own errors.",
    "W-612": "Check whether the master polls the controller at least every P42 seconds.",
    "E-613": "List the addresses of all devices on the bus.",
    "W-701": "The pump keeps running normally until the service is done.",
    "E-801": "Restore the parameters from the latest USB export if one exists.",
    "E-802": "The update tool checks both versions after the update.",
    "E-803": "Set the date and time again after replacing the cell.",
    "E-804": "Try another stick before suspecting the controller.",
}

ACCESSORIES = [
    ("Pressure vessel kits, 24 to 300 litres", "membrane vessels rated for 16 or 25 bar, with a quick-release "
     "valve so that the pre-charge can be checked without draining the plant"),
    ("Anti-vibration mounts", "four rubber-metal mounts under the baseplate that reduce structure-borne noise in "
     "buildings; use flexible pipe connectors with them"),
    ("Flexible pipe connectors", "DN 80 and DN 65, PN 16 and PN 25, with tie rods that stop the connector from "
     "stretching under pressure"),
    ("Suction strainer", "Y-pattern, DN 80, with a stainless steel basket of 0.5 mm or 1 mm mesh"),
    ("Dry-run kit", "a suction pressure transmitter with a fitting and a 5 m cable, for dry-run detection by "
     "suction pressure (P23 = 2)"),
    ("Flow meter", "a magnetic-inductive meter DN 65 with pulse output, for low-flow detection by flow"),
    ("Duty/standby cable", "a screened RS-485 cable with connectors for two controllers, 2 m or 10 m"),
    ("Canopy", "a sheet metal cover for pump sets installed outdoors under a roof; protects the controller "
     "from rain and direct sunlight"),
    ("Service case", "the special tools QT-11, QT-14 and QT-21 in a fitted case"),
]


def _ch2_accessories(w) -> None:
    w("## 2.5 Accessories")
    w("")
    w("The accessories below are available for the QM-620. Order them with the pump or later, quoting the "
      "serial number of the pump set.")
    w("")
    for name, text in ACCESSORIES:
        w(f"- {name}: {text}.")
    w("")
    w("## 2.6 Rating plates")
    w("")
    w("The pump set carries three rating plates. The pump plate on the discharge casing shows the model code, "
      "the serial number, the year of manufacture, the rated flow and head, the maximum pressure and "
      "temperature, and the material and seal codes. The motor plate shows the motor data, including the rated "
      "current needed for P46. The controller plate shows the supply voltage, the rated output current of the "
      "drive and the software version at delivery. Quote the serial number from the pump plate in every "
      "enquiry.")
    w("")


def _ch3_dimensions(w) -> None:
    w("## 3.7 Dimensions and foundation")
    w("")
    w("All dimensions in millimetres. L: overall length of the pump set; A: distance between the anchor bolt "
      "holes along the baseplate; B: distance across; H: height of the discharge flange above the underside of "
      "the baseplate.")
    w("")
    w("Model | L | A | B | H | Anchor bolts")
    for model, stages, _kw, _kg, length in VARIANTS:
        w(f"{model} | {length} | {length - 128} | 360 | {342 + (stages > 5) * 18} | 4 x M20")
    w("")
    w("The foundation should be at least 150 mm longer and wider than the baseplate (5.2). The anchor bolt "
      "pockets are 120 mm x 120 mm and 250 mm deep. Leave 30 mm to 40 mm of space under the baseplate for "
      "grout.")
    w("")


def _ch5_electrical(w) -> None:
    w("## 5.9 Cables and fuses")
    w("")
    w("The table gives minimum copper cross-sections for PVC-insulated cables laid on a cable tray at 30 °C "
      "ambient, and the largest fuse rating the controller may be protected with. Longer cables need larger "
      "cross-sections to keep the voltage drop below 3 %.")
    w("")
    w("Motor power | Supply cable up to 50 m | Supply cable 50-100 m | Largest fuse, gG")
    for kw, small, large, fuse in [(7.5, "2.5 mm²", "4 mm²", "25 A"), (11.0, "4 mm²", "6 mm²", "35 A"),
                                   (15.0, "6 mm²", "10 mm²", "50 A"), (18.5, "10 mm²", "16 mm²", "63 A"),
                                   (22.0, "10 mm²", "16 mm²", "63 A")]:
        w(f"{kw:.1f} kW | {small} | {large} | {fuse}")
    w("")
    w("## 5.10 Electromagnetic compatibility")
    w("")
    w("The variable-speed drive meets the emission limits for residential areas when the motor cable is "
      "screened, the screen is earthed over its full circumference at both ends with EMC cable glands, and "
      "the motor cable is no longer than 20 m. Run signal cables in their own tray or conduit. Never use the "
      "screen of a signal cable as the zero volt return of the signal. Where a residual-current device is "
      "required, use type B with a rated residual current of 300 mA, or 30 mA only where a socket outlet or a "
      "person's safety demands it.")
    w("")


def _ch8_energy(w) -> None:
    w("## 8.8 Saving energy")
    w("")
    for tip in ["Set the pressure no higher than the plant needs: every bar less saves roughly 8 % to 12 % of "
                "the energy of a pressure boosting set.",
                "Use the external set point (mode 3) to lower the pressure at night, when demand is low.",
                "Keep the suction strainer clean; a clogged strainer costs energy before it causes alarms.",
                "Check the pre-charge of the pressure vessel: a pump that starts too often wastes energy in "
                "every start.",
                "Replace worn wear rings: internal leakage of a worn pump can reach 10 % of the rated flow.",
                "Run duty/assist pairs so that each pump works near its best efficiency point rather than one "
                "pump at its limit."]:
        w(f"- {tip}")
    w("")
    w("## 8.9 Operating in cold weather")
    w("")
    w("A pump room that may fall below 0 °C needs frost protection. A pump filled with water bursts its casing "
      "when the water freezes. Either keep the room heated, or drain the pump and the pipes next to it before "
      "a cold spell. The controller itself may be stored at -25 °C but must not be switched on below 0 °C, as "
      "condensation can form on the electronics.")
    w("")


def _ch9_calibration(w) -> None:
    w("## 9.11 Checking a pressure transmitter")
    w("")
    for n, s in enumerate([
            "Fit a calibrated test gauge to the test connection next to the transmitter.",
            "Stop the pump and close the discharge isolating valve; the gauge and the display must both show "
            "the pressure trapped in the plant.",
            "Start the pump in manual mode (P01 = 2) and read gauge and display at three pressures across the "
            "working range.",
            "If the difference exceeds 0.1 bar at any point, check P11 first; if P11 is right, replace the "
            "transmitter.",
            "Return P01 to its previous value and note the result in the service visit report."], 1):
        w(f"{n}. {s}")
    w("")


def _ch13_checks(w) -> None:
    w("## 13.5 First check for each code")
    w("")
    w("When a code appears, the check below is usually the quickest way to the cause. It does not replace the "
      "action in the list of codes (13.2).")
    w("")
    for code, title, *_ in ERRORS:
        w(f"{code} {title}: {ERROR_CHECKS[code]}")
    w("")


def _ch14_per_model(w) -> None:
    w("## 14.1 Quantities that depend on the number of stages")
    w("")
    w("Model | Impellers (620-130) | Diffusers (620-131) | O-ring sets (620-101 or 620-102) | Wear ring sets "
      "(620-132)")
    for model, stages, *_ in VARIANTS:
        w(f"{model} | {stages} | {stages} | {stages} | {math.ceil(stages / 5)}")
    w("")
    w("## 14.2 Returning parts")
    w("")
    w("Parts returned for a warranty claim must be clean, drained and accompanied by a declaration that they are "
      "free of hazardous substances. Parts that have handled a hazardous liquid and arrive without the "
      "declaration are returned to the sender unopened.")
    w("")


FAQ = [
    ("Can the pump run against a closed valve for a short time?",
     "For a minute or two, yes; the low-flow stop is designed for this. For longer, no: the liquid in the pump "
     "heats up and the seal suffers (8.6)."),
    ("Why does the pump run for a few seconds every two days although no water is used?",
     "That is the exercise run (P38). It keeps the seal faces and bearings from sticking in a pump that is "
     "idle for a long time."),
    ("May the pump be installed with the shaft vertical?",
     "No. The QM-620 is a horizontal pump; its bearings and seal chamber are designed for a horizontal shaft."),
    ("The display shows a pressure although the pump is stopped. Is that a fault?",
     "No. The transmitter measures the pressure in the plant, which the pressure vessel and the non-return "
     "valve hold while the pump is stopped."),
    ("Can I connect the pump to a 230 V single-phase supply?",
     "No. All QM-620 motors and the QC-7 drive need a three-phase supply (3.4)."),
    ("How long does a mechanical seal last?",
     "With clean water at moderate temperature, typically 16,000 to 24,000 running hours. Dry running, "
     "abrasive particles and frequent starts shorten its life considerably."),
    ("Can two QM-620 pumps of different sizes be paired in duty/standby?",
     "It is possible but not recommended: the smaller pump may not hold the pressure at peak demand when it is "
     "the duty pump."),
    ("Why does the head in the table fall so steeply at high flow?",
     "Losses inside the pump grow with the square of the flow, and the pump moves away from its best "
     "efficiency point. Above 52 m³/h the NPSH required also rises steeply (3.2)."),
    ("Does the pump need a non-return valve on the suction side?",
     "Only in suction-lift installations, where a foot valve keeps the suction pipe full. With a positive "
     "suction head, the non-return valve belongs on the discharge side (5.5)."),
    ("What happens after a power failure?",
     "The controller restarts in the state it was in before the failure. If the pump was released, it starts "
     "again when there is demand, using the pipe fill function if P29 is set."),
    ("Can I read the event log without a USB stick?",
     "Yes. The last 20 events are shown on the display under MENU, EVENTS; the full log of 500 events can be "
     "read over the fieldbus or exported with P58."),
    ("Why is the impeller lock nut not in the torque table?",
     "Because its value belongs to the reassembly sequence: the nut is tightened at a particular moment, with the "
     "shaft held by the QT-11 spanner. The torque table in 11.3 therefore points to the step in 11.7."),
    ("May I run the pump with the discharge valve fully open on an empty plant?",
     "Not at full speed: the pump would run far to the right of its curve until the pipes are full. Use the pipe "
     "fill function (P29, P30) or open the valve gradually."),
    ("Why does the current rise when I lower the pressure set point?",
     "At a lower pressure the pump delivers more flow into an open plant, and the power of a centrifugal pump "
     "rises with the flow. In a pressure boosting set this is normal while the demand is high."),
    ("Can the controller be mounted away from the pump?",
     "Yes, up to 20 m away with a screened motor cable (5.10). The sensor cables then need extensions of the same "
     "type."),
    ("What does a yellow LED without a message mean?",
     "A warning was present and has cleared itself. The event menu shows which one; the LED goes out after the "
     "event has been viewed."),
    ("Which grease should be used for the bearings?",
     "A lithium-complex grease of NLGI grade 3 suitable for 130 °C. Do not mix greases of different "
     "thickener types (10.8)."),
]


def _appendix_faq(w) -> None:
    w("# Appendix F: Frequently asked questions")
    w("")
    for question, answer in FAQ:
        w(f"Q: {question}")
        w(f"A: {answer}")
        w("")


def _appendix_environment(w) -> None:
    w("# Appendix G: Disposal and recycling")
    w("")
    w("At the end of its life, take the pump set apart and separate the materials. Drain all liquid and dispose "
      "of any remaining grease and flushing liquid as waste oil. Cast iron, stainless steel and copper from the "
      "motor windings go to metal recycling; the controller and the drive are electronic waste and must not go "
      "into household waste. The approximate material content is given below.")
    w("")
    w("Model | Cast iron (kg) | Stainless steel (kg) | Steel (kg) | Copper (kg) | Electronics (kg)")
    for model, stages, kw, kg, _len in VARIANTS:
        stainless = 6.5 + 3.1 * stages
        copper = 1.6 * kw ** 0.8
        electronics = 4.5 + 0.2 * kw
        iron = 58 + 2.0 * stages
        steel = kg - stainless - copper - electronics - iron
        w(f"{model} | {iron:.0f} | {stainless:.0f} | {steel:.0f} | {copper:.0f} | {electronics:.1f}")
    w("")
    w("# Appendix H: Warranty")
    w("")
    w("The manufacturer warrants the pump set against defects in materials and workmanship for 24 months from "
      "commissioning, or 30 months from delivery, whichever ends first. The warranty covers the repair or "
      "replacement of defective parts. It does not cover wearing parts (mechanical seal, coupling spider, wear "
      "rings, O-rings and bearings after 8,000 running hours), damage from dry running, frost, unsuitable "
      "liquids, incorrect installation, or repairs with parts that are not original spare parts. A warranty "
      "claim must quote the serial number and include the commissioning record (6.5) and, where available, the "
      "event log export.")
    w("")


def _ch4_preservation(w) -> None:
    w("## 4.4 Preservation for long storage")
    w("")
    w("For storage longer than six months, flush the pump with clean water, drain it and blow it dry with oil-free "
      "compressed air through the vent connection. Then fill it with a water-based preserving liquid that is "
      "compatible with EPDM, or leave it dry with a bag of desiccant in each flange opening under the covers. "
      "Mark the pump clearly as preserved, with the date and the product used, so that it is flushed before "
      "commissioning. Check the desiccant every three months and replace it when its colour indicator has "
      "changed.")
    w("")


def _ch6_more(w) -> None:
    w("## 6.6 Commissioning a duty/standby pair")
    w("")
    for n, s in enumerate([
            "Commission each pump on its own first, as described in 6.1 to 6.4, with P35 = 0.",
            "Connect the two controllers with the duty/standby cable on terminals A, B and GND.",
            "Give the controllers different fieldbus addresses (P39), for example 1 and 2.",
            "Set P35 = 1 on both controllers and the same P36 on both.",
            "Press START on both. One controller shows RUN or READY, the other STANDBY.",
            "Test the changeover: press STOP on the duty pump; the standby pump must take over within a few "
            "seconds. Press START again.",
            "Test the fault changeover by opening the external fault input of the duty pump, if P49 is set to "
            "1 or 2."], 1):
        w(f"{n}. {s}")
    w("")
    w("## 6.7 Connecting the fieldbus")
    w("")
    w("Use a screened twisted-pair cable with a characteristic impedance of about 120 Ω. Connect A to A and B "
      "to B on every device, in a line from one device to the next; do not branch the cable. Switch on the "
      "termination resistor on the first and the last device of the line only. Earth the screen at one end. "
      "Set the address, baud rate and parity (P39 to P41), then check in the master that the status word "
      "(register 30001) changes when the pump starts and stops.")
    w("")


def _ch7_more(w) -> None:
    w("## 7.6 The event menu")
    w("")
    w("Press MENU and choose EVENTS to see the last 20 events, the newest first. Each event shows its code, "
      "the date and time, and the running hours. Press OK on an event to see the pressure, speed and current "
      "recorded with it. The event menu can be read at operator level; clearing the log requires the service "
      "password and is recorded as an event itself, so that a cleared log is always noticed.")
    w("")
    w("## 7.7 Updating the software")
    w("")
    w("Software updates are supplied on a USB stick by the service department. Stop the pump, insert the stick "
      "into the port behind the controller cover and choose MENU, SERVICE, UPDATE. The controller checks the "
      "file, updates itself and the drive, and restarts; the parameters are kept. The update takes about four "
      "minutes. Do not switch off the supply during the update: an interrupted update leaves the controller "
      "showing E-802 until the update is repeated.")
    w("")


WEAR_LIMITS = [
    ("Wear ring clearance (diametral)", "0.30 mm", "0.60 mm"),
    ("Shaft runout at the seal", "0.02 mm", "0.05 mm"),
    ("Shaft runout at the coupling", "0.03 mm", "0.06 mm"),
    ("Impeller vane tips, erosion depth", "0 mm", "1.5 mm"),
    ("Keyway width on the shaft", "8.00 mm", "8.08 mm"),
    ("Coupling spider thickness at the jaws", "6.0 mm", "4.5 mm"),
    ("Bearing seat diameter, drive end", "35.002 to 35.018 mm", "35.000 mm"),
    ("Bearing seat diameter, non-drive end", "30.002 to 30.015 mm", "30.000 mm"),
]


def _ch11_more(w) -> None:
    w("## 11.9 Wear limits")
    w("")
    w("Measure the parts below whenever the pump is dismantled. Replace a part when it reaches the wear limit, "
      "or earlier when the next overhaul is far away.")
    w("")
    w("Dimension | New | Wear limit")
    for row in WEAR_LIMITS:
        w(" | ".join(row))
    w("")
    w("## 11.10 Replacing the controller")
    w("")
    w("Export the parameters of the old controller with P58 if it still works. Isolate the supply and wait five "
      "minutes. Label every wire before disconnecting it, unscrew the controller from its bracket and fit the "
      "new one. Reconnect the wires, switch on and load the exported parameters with MENU, SERVICE, IMPORT; "
      "without an export, set the parameters from the commissioning record. Set the running hours once with "
      "P52 to the value of the old controller, then check the direction of rotation and the pressure reading "
      "before releasing the pump.")
    w("")
    w("## 11.11 Replacing the motor")
    w("")
    w("Use a motor of the same power, speed and frame size. Remove the coupling guard, loosen the coupling hub "
      "on the motor shaft and the motor feet, and lift the motor off with a sling around its body. Transfer the "
      "coupling hub to the new motor with the same distance from the shaft end, fit the motor, and align it "
      "(5.3). Set P46 and P47 to the values on the new motor's rating plate before the first start.")
    w("")


MORE_CASES = [
    ("Error E-231 on rainy days",
     "A pump installed in a shed showed E-231 only on wet days. Water ran along the transmitter cable into the "
     "connector, because the cable had been routed upwards into it. After the connector was dried, resealed and "
     "the cable given a drip loop, the error never returned."),
    ("Low pressure after an overhaul",
     "A ten-stage pump delivered only 85 % of its head after an overhaul. Two diffusers had been fitted in the "
     "wrong angular position, so that their channels did not line up with the next stage. The stages had not "
     "been marked before dismantling. Reassembled in the right order, the pump met its curve again."),
    ("Starts during the night in an empty office",
     "The event log of an office booster set showed a start every twelve minutes at night. Closing the building "
     "sections one by one found a urinal flush valve that leaked a little water continuously. After its repair, "
     "the pump stayed stopped all night."),
    ("Bearing noise after a wet winter",
     "A pump that had stood idle for four months in an unheated room made a grinding noise after restart. "
     "Condensation had corroded the drive-end bearing. The bearing was replaced, and the exercise run (P38) "
     "was switched on so that the pump turns regularly during long idle periods."),
]


def _ch12_more_cases(w) -> None:
    for title, text in MORE_CASES:
        w(f"### {title}")
        w("")
        w(text)
        w("")


MORE_TERMS = [
    ("Affinity laws", "the rules by which flow, head and power of a centrifugal pump change with its speed"),
    ("Break tank", "a tank between the public supply and the pump that separates the two hydraulically"),
    ("Commissioning record", "the values measured at the first start, kept as the reference for later checks"),
    ("DC bus", "the direct-voltage link inside the variable-speed drive between rectifier and inverter"),
    ("Event log", "the controller's record of the last 500 warnings, alarms and operating events"),
    ("Foot valve", "a non-return valve with a strainer at the lower end of a suction pipe"),
    ("Modbus RTU", "a serial communication protocol used by the QC-7 to talk to building management systems"),
    ("Non-return valve", "a valve that lets liquid flow in one direction only"),
    ("Parameter export", "a copy of all parameter values written to a USB stick with P58"),
    ("Pipe fill", "a slow start that fills an empty discharge pipe without pressure surges"),
    ("Rated current", "the current the motor draws at its rated power and voltage, shown on the rating plate"),
    ("Residual-current device", "a protective switch that trips when current leaks to earth"),
    ("Static height", "the vertical distance between the pump and the highest point it must supply"),
    ("System curve", "the head the plant needs as a function of the flow"),
    ("Test certificate", "the factory record of the performance test of the individual pump"),
    ("Thermal derating", "the reduction of the permitted output of a motor or drive at high ambient temperature"),
]


def _ch15_more_terms(w) -> None:
    for term, text in MORE_TERMS:
        w(f"{term}: {text}.")
    w("")


def _appendix_forms(w) -> None:
    w("# Appendix I: Commissioning report form")
    w("")
    for section, fields in [
            ("Site", ["Plant name and address", "Location of the pump room", "Application (see 7.4)"]),
            ("Pump set", ["Model code", "Serial number of the pump", "Serial number of the motor",
                          "Serial number and software version of the controller"]),
            ("Installation", ["Foundation and grouting checked", "Alignment after connecting the pipes: offset "
                              "and angle", "Suction and discharge pipes supported", "Pressure vessel volume and "
                              "pre-charge"]),
            ("Electrical", ["Supply voltage L1-L2, L2-L3, L3-L1", "Fuse rating", "Thermistors connected",
                            "Residual-current device type"]),
            ("First run", ["Direction of rotation", "Speed, pressure and current at the duty point",
                           "Vibration at both bearings", "Bearing temperatures after one hour", "Seal tight"]),
            ("Settings", ["Parameters changed from default, with values", "Parameter export done (P58)"]),
            ("Sign-off", ["Name of the commissioning engineer", "Name of the operator's representative", "Date"])]:
        w(f"{section}:")
        for field in fields:
            w(f"  [ ] {field}: ____________________")
        w("")
    w("# Appendix J: Operator training checklist")
    w("")
    w("Before the commissioning engineer leaves the site, the operators should be able to do the following:")
    w("")
    for item in ["start and stop the pump from the keypad and explain the meaning of the three LEDs;",
                 "read the discharge pressure, speed and current on the display;",
                 "find the last events in the event menu and note their codes;",
                 "recognise a leak at the seal and at the casing joints;",
                 "carry out the daily, weekly and monthly tasks of the maintenance schedule (10.2);",
                 "take readings for the log sheet (appendix A) at a known flow and speed;",
                 "isolate and lock the supply, and say who may do which work on the pump (1.8);",
                 "find the telephone number of the service department on the controller cover."]:
        w(f"- {item}")
    w("")


def _end(w) -> None:
    w(f"End of document QPW-IOM-620-EN. {MAKER} is a fictional company; this manual was written as an example "
      "for glyph-web.")


# ---------------------------------------------------------------------------------------------------------------
# 2. The Chinese contract (.docx)

CONTRACT_TOTAL = "4,252,000.00"
PAYMENT_HEADER = ["期次", "付款节点", "付款比例", "金额（人民币元）", "最迟付款日期"]
PAYMENT_ROWS = [
    ["第一期（预付款）", "本合同生效后", "20%", "850,400.00", "2025年7月10日"],
    ["第二期（到货款）", "设备运抵甲方厂区并经开箱验收合格后", "30%", "1,275,600.00", "2025年9月15日"],
    ["第三期（验收款）", "安装调试完成并经最终验收合格后", "40%", "1,700,800.00", "2025年11月20日"],
    ["第四期（质保金）", "质量保证期届满且无未决质量问题", "10%", "425,200.00", "2026年11月30日"],
    ["合计", "", "100%", "4,252,000.00", ""],
]
CONTRACT_EVIDENCE = " | ".join(PAYMENT_ROWS[1])  # how glyph_web.documents.docx reads the table row

EQUIPMENT_HEADER = ["序号", "名称", "型号规格", "数量", "单位"]
EQUIPMENT_ROWS = [
    ["1", "全自动无菌灌装机", "CX-240A", "1", "台"],
    ["2", "瓶坯输送及理瓶单元", "CX-240T", "1", "套"],
    ["3", "在线灭菌及清洗系统", "CX-240S", "1", "套"],
    ["4", "自动贴标及喷码机", "CX-240L", "1", "台"],
    ["5", "装箱码垛单元", "CX-240P", "1", "套"],
    ["6", "电气控制柜及中控软件", "CX-240E", "1", "套"],
    ["7", "随机备品备件及专用工具", "见附件二", "1", "批"],
]

CONTRACT_CLAUSES = [
    ("第一条　合同标的", [
        "1.1　乙方向甲方出售CX-240型全自动无菌灌装生产线一条（以下简称“设备”），并负责设备的运输、安装、调试、"
        "试生产及对甲方人员的技术培训。",
        "1.2　设备的名称、型号规格及数量见下表；详细技术参数以双方签字确认的《技术协议》（附件一）为准。",
        "<EQUIPMENT>",
        "1.3　设备设计产能为每小时24,000瓶（500毫升规格），适用于甲方的茶饮料及果汁饮料产品。",
    ]),
    ("第二条　合同价款", [
        f"2.1　本合同总价为人民币{CONTRACT_TOTAL}元（大写：肆佰贰拾伍万贰仟元整），含13%增值税。",
        "2.2　合同总价包括设备费、包装费、运输费、保险费、安装调试费、培训费及质量保证期内的服务费用。"
        "除本合同另有约定外，甲方无需另行支付其他任何费用。",
        "2.3　合同总价为固定价格，不因原材料价格、汇率或人工成本的变化而调整。",
    ]),
    ("第三条　付款方式", [
        "3.1　甲方按下表分四期以银行转账方式向乙方支付合同价款：",
        "<PAYMENT>",
        "3.2　乙方应在每期付款前向甲方开具等额的增值税专用发票。因乙方未及时开具发票导致付款延迟的，甲方不承担"
        "逾期付款责任。",
        "3.3　付款日期遇法定节假日的，顺延至节假日后的第一个工作日。",
    ]),
    ("第四条　交货时间、地点与方式", [
        "4.1　乙方应于2025年8月31日前将设备运抵甲方厂区，交货地点为临澜市澄溪工业园兰汀路18号甲方二号车间。",
        "4.2　乙方应提前五个工作日书面通知甲方具体到货时间，甲方负责提供卸货场地及必要的配合。",
        "4.3　设备的所有权自第二期付款支付完毕之日起转移至甲方；设备毁损、灭失的风险自开箱验收合格之日起转移至甲方。",
    ]),
    ("第五条　包装与运输", [
        "5.1　乙方应按照国家标准或行业标准对设备进行包装，包装应适合长途运输、防潮、防震、防锈。",
        "5.2　每一包装箱内应附有装箱单、产品合格证及使用说明书。因包装不当造成设备损坏的，由乙方负责修复或更换。",
    ]),
    ("第六条　安装与调试", [
        "6.1　乙方应在设备到货后十五日内派遣合格的工程技术人员到甲方现场进行安装调试，并在到货后四十五日内完成。",
        "6.2　甲方应按乙方提供的基础图完成设备基础、水、电、气等公用工程的准备工作。",
        "6.3　乙方现场人员应遵守甲方的安全生产、食品卫生及厂区管理规定。",
    ]),
    ("第七条　验收", [
        "7.1　开箱验收：设备到货后，双方共同按装箱单对设备的外观、数量及随机文件进行清点检查，并签署开箱验收记录。",
        "7.2　最终验收：设备安装调试完成后连续试生产七十二小时，各项指标达到《技术协议》要求的，双方签署最终验收"
        "报告。",
        "7.3　最终验收不合格的，乙方应在十五日内整改并重新组织验收；因乙方原因两次验收不合格的，甲方有权解除本合同。",
    ]),
    ("第八条　质量保证与保修", [
        "8.1　乙方保证所供设备是全新的、未使用过的，其质量、规格和性能符合本合同及《技术协议》的要求。",
        "8.2　质量保证期为最终验收合格之日起十二个月。质量保证期内因设备本身质量问题发生的故障，乙方免费维修或"
        "更换零部件。",
        "8.3　乙方接到甲方故障通知后，应在四小时内作出响应，在四十八小时内派人到达现场。",
    ]),
    ("第九条　技术培训", [
        "9.1　乙方应在设备调试期间对甲方操作人员及维修人员进行现场培训，培训人数不少于十二人，培训时间不少于五个"
        "工作日。",
        "9.2　培训内容包括设备原理、操作规程、日常保养、常见故障的判断与处理以及安全注意事项。",
    ]),
    ("第十条　知识产权", [
        "10.1　乙方保证甲方在使用设备时不会侵犯任何第三方的专利权、商标权或著作权。",
        "10.2　设备随附的中控软件由乙方授予甲方永久、非独占的使用许可，仅限于本合同项下设备使用。",
    ]),
    ("第十一条　保密", [
        "11.1　双方对在履行本合同过程中知悉的对方商业秘密和技术秘密负有保密义务，未经对方书面同意不得向第三方披露。",
        "11.2　本条规定的保密义务不因本合同的终止而失效，保密期限为本合同终止后三年。",
    ]),
    ("第十二条　违约责任", [
        "12.1　乙方逾期交货的，每逾期一日，应按合同总价的千分之五向甲方支付违约金，违约金总额不超过合同总价的百分之十。"
        "逾期超过三十日的，甲方有权解除合同。",
        "12.2　甲方逾期付款的，每逾期一日，应按逾期金额的万分之五向乙方支付违约金。",
        "12.3　设备经两次验收仍不合格的，乙方应退还甲方已付全部款项，并赔偿甲方因此遭受的直接损失。",
    ]),
    ("第十三条　不可抗力", [
        "13.1　因地震、台风、洪水、战争等不能预见、不能避免且不能克服的事件致使合同不能履行的，受影响一方应在"
        "事件发生后七日内书面通知对方，并提供相关证明。",
        "13.2　不可抗力持续超过六十日的，双方应协商是否继续履行合同。",
    ]),
    ("第十四条　合同的变更与解除", [
        "14.1　本合同的任何变更须经双方协商一致并签订书面补充协议。补充协议与本合同具有同等法律效力。",
        "14.2　一方严重违约致使合同目的无法实现的，另一方有权书面通知解除本合同。",
    ]),
    ("第十五条　争议解决", [
        "15.1　因本合同引起的或与本合同有关的争议，双方应友好协商解决；协商不成的，任何一方均可向甲方所在地有管辖权"
        "的人民法院提起诉讼。",
    ]),
    ("第十六条　其他", [
        "16.1　本合同自双方法定代表人或授权代表签字并加盖公章之日起生效。",
        "16.2　本合同一式四份，甲乙双方各执两份，具有同等法律效力。",
        "16.3　本合同附件：附件一《技术协议》；附件二《备品备件及专用工具清单》；附件三《设备基础图》。附件为本合同"
        "不可分割的组成部分。",
    ]),
]


def contract_docx() -> bytes:
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt
    import datetime as dt

    doc = Document()
    for style_name, east_asian, size in (("Normal", "宋体", 10.5), ("Title", "黑体", 18), ("Heading 2", "黑体", 12)):
        style = doc.styles[style_name]
        style.font.size = Pt(size)
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.insert(0, fonts)
        fonts.set(qn("w:eastAsia"), east_asian)

    title = doc.add_paragraph("设备采购及安装合同", style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph("合同编号：CL-CG-2025-0417")
    doc.add_paragraph("签订地点：临澜市澄溪区")
    doc.add_paragraph("签订日期：2025年6月26日")
    doc.add_paragraph("甲方（买方）：临澜市澄岚饮品有限公司")
    doc.add_paragraph("地址：临澜市澄溪工业园兰汀路18号")
    doc.add_paragraph("法定代表人：沈知远　　联系人：许青禾　　电话：0000-55501234")
    doc.add_paragraph("乙方（卖方）：启衡智能包装装备有限公司")
    doc.add_paragraph("地址：鹭川市望岳区云杉大道266号")
    doc.add_paragraph("法定代表人：顾明澈　　联系人：唐若溪　　电话：0000-55509876")
    doc.add_paragraph("甲、乙双方根据《中华人民共和国民法典》及相关法律法规的规定，在平等、自愿、公平、诚实信用的基础上，"
                      "就甲方向乙方采购灌装生产线设备及相关服务事宜，经友好协商，达成如下条款，以资共同遵守。")

    def table(header, rows):
        t = doc.add_table(rows=1, cols=len(header))
        t.style = "Table Grid"
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, text in zip(t.rows[0].cells, header):
            cell.text = ""
            cell.paragraphs[0].add_run(text).bold = True
        for row in rows:
            cells = t.add_row().cells
            for cell, text in zip(cells, row):
                cell.text = text

    for heading, paragraphs in CONTRACT_CLAUSES:
        doc.add_paragraph(heading, style="Heading 2")
        for text in paragraphs:
            if text == "<PAYMENT>":
                table(PAYMENT_HEADER, PAYMENT_ROWS)
            elif text == "<EQUIPMENT>":
                table(EQUIPMENT_HEADER, EQUIPMENT_ROWS)
            else:
                doc.add_paragraph(text)

    doc.add_paragraph("（以下无正文）")
    doc.add_paragraph("甲方（盖章）：临澜市澄岚饮品有限公司　　　　乙方（盖章）：启衡智能包装装备有限公司")
    doc.add_paragraph("法定代表人或授权代表（签字）：　　　　　　　法定代表人或授权代表（签字）：")
    doc.add_paragraph("日期：2025年6月26日　　　　　　　　　　　　日期：2025年6月26日")
    doc.add_paragraph("说明：本合同是为 glyph-web 演示编写的虚构示例，其中的单位、人员、地址、电话和金额均为虚构，"
                      "不具有任何法律效力。")

    props = doc.core_properties
    fixed = dt.datetime(2025, 6, 26, 9, 0, 0)
    props.author = props.last_modified_by = "glyph-web examples"
    props.title = "设备采购及安装合同（虚构示例）"
    props.created = props.modified = fixed
    props.revision = 1

    _slim(doc)
    buf = io.BytesIO()
    doc.save(buf)
    return _deterministic_zip(buf.getvalue())


def _slim(doc) -> None:
    """Drop what python-docx's template carries but this contract does not use: about 160 unused (mostly table)
    styles, the optional Word 2010 copy of them (stylesWithEffects) and the template's blank-page thumbnail. The
    file then stays small without compression."""
    from docx.oxml.ns import qn

    styles = doc.styles.element
    by_id = {st.get(qn("w:styleId")): st for st in styles.iterfind(qn("w:style"))}
    body = doc.element.body
    numbering = doc.part.numbering_part.element  # its list levels name the List styles
    wanted = {el.get(qn("w:val")) for root in (body, numbering)
              for tag in ("w:pStyle", "w:rStyle", "w:tblStyle", "w:styleLink", "w:numStyleLink")
              for el in root.iter(qn(tag))}
    wanted |= {sid for sid, st in by_id.items() if st.get(qn("w:default")) in ("1", "true")}
    todo = list(wanted)
    while todo:  # keep the styles that the used ones are based on, linked to or followed by
        st = by_id.get(todo.pop())
        if st is None:
            continue
        for tag in ("w:basedOn", "w:link", "w:next"):
            ref = st.find(qn(tag))
            if ref is not None and ref.get(qn("w:val")) not in wanted:
                wanted.add(ref.get(qn("w:val")))
                todo.append(ref.get(qn("w:val")))
    for sid, st in by_id.items():
        if sid not in wanted:
            styles.remove(st)
    for owner in (doc.part, doc.part.package):
        for r_id, rel in list(owner.rels.items()):
            if rel.reltype.endswith(("/stylesWithEffects", "/thumbnail")):
                owner.drop_rel(r_id) if owner is doc.part else owner.rels.pop(r_id)


def _deterministic_zip(data: bytes) -> bytes:
    """The same archive with fixed member dates (python-docx stamps the current time) and stored members, so that
    the bytes do not depend on the clock or on the zlib build."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=(2025, 6, 26, 9, 0, 0))
            member.compress_type = zipfile.ZIP_STORED
            member.external_attr = 0o644 << 16
            member.create_system = 0
            dst.writestr(member, src.read(info.filename))
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------------------
# 3. The planning-day set (three short files)

GARDEN_ROW = ("| Garden Lunch | Two seasonal salads, a warm grain bowl, bread, fruit platter, still and sparkling "
              "water | EUR 16.40 |")

EMAIL = """From: Dana Whitlow <dana.whitlow@hollinvey.example>
To: Studio team <team@hollinvey.example>
Date: Wednesday, 12 March 2025, 09:14
Subject: Planning day lunch - can someone work out the total?

Hi all,

I have to place the lunch order for our spring planning day (Thursday 17 April) by this Friday, and finance
wants the amount on the purchase order before I send it.

Monday's meeting settled which lunch package we want and how many people we are ordering for - Ravi wrote it
all down in the meeting notes, so please take the package and the headcount from there rather than from my
memory.

Brightfield Kitchen sent their new price list this morning; I have saved it with the notes. It replaces the
one from last autumn, so please don't use the old figure of EUR 14.20 per person that is still in last year's
budget sheet.

One more thing: the Oakroom is booked from 09:00 to 17:00, and the caterer needs to know we want delivery at
12:15. I'll tell them when I order.

Could someone reply with the total (and how you got it) by Thursday afternoon?

Thanks,
Dana

--
Dana Whitlow
Office manager, Hollin & Vey Architects
(Hollin & Vey is a fictional studio; this email was written as a glyph-web example.)
"""

NOTES = """# Meeting notes - spring planning day

Date: Monday, 10 March 2025, 14:00-14:45
Place: small meeting room
Present: Ravi Anand (notes), Dana Whitlow, Mei Lindqvist, Tom Okafor, Sara Belmonte
Apologies: Jonas Feld

## 1. Date and room

The planning day stays on Thursday 17 April. The Oakroom on the ground floor is free all day; Dana will book it
from 09:00 to 17:00. Mei asked for a second room for the break-out sessions; the library corner will do.

## 2. Programme

- Morning: review of last year's projects (Tom), then the three proposals for the new workshop space (Sara).
- Afternoon: break-out groups, then decisions and the budget for the coming year (Mei).
- Guests: four people from Castellan Engineering, our structural engineers, join us for the whole day.

## 3. Lunch

We looked at three options from Brightfield Kitchen, who did the winter party.

- Tom suggested the Hot Buffet; most people found it too heavy for an afternoon of workshops.
- Sandwiches were felt to be too little for a full day.
- Decision: we order the **Garden Lunch** package.
- Headcount: 22 of us plus the 4 guests from Castellan Engineering, so **26 people** in total. Jonas confirmed
  by email that he will be there.
- Two people are vegan; Brightfield say that is no problem with the Garden Lunch.
- Coffee and tea come from our own kitchen, so no drinks package is needed.

## 4. Actions

- Dana: book the Oakroom; order the lunch once the total is known.
- Sara: send the workshop proposals round by 3 April.
- Tom: collect last year's project figures.
- Ravi: circulate these notes and save Brightfield's new price list next to them when it arrives.

(Hollin & Vey Architects and everyone named here are fictional; written as a glyph-web example.)
"""

PRICE_LIST = f"""# Brightfield Kitchen - office catering price list

Valid from 1 March 2025 to 31 August 2025. Replaces all earlier price lists.

Prices are per person and include preparation, crockery and collecting the crockery afterwards. All prices in
euros, VAT included; delivery is charged as shown under Conditions.

| Package | What is included | Price per person |
|---|---|---|
| Breakfast Basket | Pastries, yoghurt pots, fresh fruit, orange juice | EUR 9.80 |
| Standard Sandwich Lunch | Three half sandwiches per person, crisps, a piece of fruit | EUR 13.90 |
{GARDEN_ROW}
| Hot Buffet | Two hot main dishes, rice or potatoes, salad bar, dessert | EUR 21.75 |
| Afternoon Tea | Scones, small cakes, tea and coffee | EUR 7.50 |

## Conditions

- Minimum order: 10 people per package.
- Delivery is free for orders of EUR 300 or more; below that we charge EUR 25.
- Vegan, vegetarian and gluten-free versions: free of charge for the Garden Lunch; EUR 1.50 per person extra
  for the other packages.
- Orders must reach us at least five working days before the event. Changes to the number of people are free
  until two working days before.
- Drinks packages (coffee and tea service, soft drinks) can be added on request.

Brightfield Kitchen, Unit 4, Millrace Yard - orders@brightfield.example
(Brightfield Kitchen is a fictional business; this price list was written as a glyph-web example.)
"""


# ---------------------------------------------------------------------------------------------------------------
# 4. The ship's log (needle in a haystack)

CREW = {
    "master": "Captain Ilse Varnholt",
    "co": "Chief Officer Maren Tollefsen",
    "2o": "Second Officer Declan Orrey",
    "3o": "Third Officer Sunniva Kade",
    "ce": "Chief Engineer Tomasz Brelling",
    "bosun": "Bosun Afa Lemuel",
    "scientist": "Dr Hester Quayle",
}
WATCHES = [("0000", "2o"), ("0400", "co"), ("0800", "3o"), ("1200", "2o"), ("1600", "co"), ("2000", "3o")]
WIND_DIRS = ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"]
SEA = {0: "calm", 1: "calm", 2: "smooth", 3: "slight", 4: "moderate", 5: "rough", 6: "rough", 7: "very rough",
       8: "high"}
SKY = ["clear", "fair", "partly cloudy", "overcast", "overcast with drizzle", "low cloud and rain showers",
       "broken cloud", "hazy sunshine", "fog patches", "squally showers"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
SPECIES = ["a pod of about {n} white-beaked dolphins", "{n} pilot whales heading west", "a minke whale close to "
           "the starboard bow", "{n} gannets diving astern", "a raft of about {n} puffins", "a basking shark "
           "at the surface", "{n} fulmars following the wake", "a sunfish drifting past on the port side",
           "a group of {n} harbour porpoises", "a great skua harrying the kittiwakes"]
VESSELS = ["fishing vessel Merrow Dawn", "trawler Gull Reach", "cargo ship Tarnvale", "yacht Skerry Lass",
           "research vessel Corrie Bright", "fishing vessel Brannoch Star", "tanker Ostrevan Pride",
           "fisheries patrol vessel Kelda"]


def _latlon(lat: float, lon: float) -> str:
    la, lo = abs(lat), abs(lon)
    return (f"{int(la):02d}°{(la - int(la)) * 60:04.1f}'{'N' if lat >= 0 else 'S'} "
            f"{int(lo):03d}°{(lo - int(lo)) * 60:04.1f}'{'W' if lon < 0 else 'E'}")


def log_text() -> str:
    import datetime as dt

    rng = Rng(20250421)
    out: list[str] = []
    w = out.append
    w("RV SALTMARROW - DECK LOG")
    w("Voyage SM-25-04: Haldervik to the Brannoch Bank survey area and return")
    w(f"Master: {CREW['master']}. Chief Scientist: {CREW['scientist']}.")
    w("Times are ship's time (UTC+1). Positions by GNSS. Wind force on the Beaufort scale. Courses in degrees true.")
    w("(RV Saltmarrow, her crew, the ports, the other vessels and the survey area are fictional; this log was "
      "written as a glyph-web example.)")
    w("")

    port, area = (57.52, -1.93), (60.90, -4.90)
    lat, lon = port
    wind_dir, force, baro = 9, 3, 1016.0
    station = line_no = 0
    total_days, needle_day = 48, 19
    start = dt.date(2025, 4, 21)
    for voyage_day in range(1, total_days + 1):
        date = start + dt.timedelta(days=voyage_day - 1)
        month = ["January", "February", "March", "April", "May", "June", "July"][date.month - 1]  # not locale-bound
        w(f"=== Day {voyage_day} - {WEEKDAYS[date.weekday()]} {date.day} {month} {date.year} ===")
        phase = "out" if voyage_day == 1 else "home" if voyage_day == total_days else "survey"
        if phase == "out":
            w(f"0640 Pilot on board. Main engines tested ahead and astern. {CREW['master']} on the bridge.")
            w("0712 All lines let go; proceeding out of Haldervik harbour under pilotage.")
            w("0748 Pilot disembarked off the north breakwater. Full away on passage to the Brannoch Bank.")
            watches = WATCHES[2:]
        elif phase == "home":
            watches = WATCHES[:4]
        else:
            watches = WATCHES
        for watch_index, (time, officer) in enumerate(watches):
            wind_dir = (wind_dir + rng.choice([-1, 0, 0, 0, 1])) % 16
            force = max(1, min(8, force + rng.choice([-1, 0, 0, 0, 1])))
            baro = max(982.0, min(1031.0, baro + rng.uniform(-2.4, 2.4) + (1012.0 - baro) * 0.06
                                  - (force - 4) * 0.15))
            if phase == "out":  # day 1, 0800 to 2000: a quarter of the way per watch
                k = (watch_index + 1) / 4.5
                lat = port[0] + (area[0] - port[0]) * k + rng.uniform(-0.02, 0.02)
                lon = port[1] + (area[1] - port[1]) * k + rng.uniform(-0.03, 0.03)
                course, speed = 326 + rng.below(7), rng.uniform(9.6, 10.8)
            elif phase == "home":  # last day, 0000 to 1200: steaming back
                k = (watch_index + 1) / 4.3
                lat = area[0] + (port[0] - area[0]) * k + rng.uniform(-0.02, 0.02)
                lon = area[1] + (port[1] - area[1]) * k + rng.uniform(-0.03, 0.03)
                course, speed = 146 + rng.below(7), rng.uniform(9.8, 11.2)
            else:
                lat = min(max(lat + rng.uniform(-0.05, 0.05), area[0] - 0.3), area[0] + 0.3)
                lon = min(max(lon + rng.uniform(-0.08, 0.08), area[1] - 0.5), area[1] + 0.5)
                course, speed = rng.below(360), rng.uniform(3.0, 9.5)
            swell = max(0.5, force * 0.45 + rng.uniform(-0.4, 0.6))
            sky = rng.choice(SKY)
            vis = rng.choice(["good", "good", "good", "moderate", "very good", "poor in showers"])
            keeper = CREW[officer]
            entry = (f"{time} {_latlon(lat, lon)}. Co {course:03d}°, {speed:.1f} kn. Wind {WIND_DIRS[wind_dir]} "
                     f"{force}, sea {SEA[force]}, swell {swell:.1f} m. {sky.capitalize()}, visibility {vis}. "
                     f"Bar {baro:.1f} hPa. ")
            entry += rng.choice([
                f"{keeper} on watch.",
                f"Watch taken over by {keeper}; all well.",
                f"{keeper} has the watch. Fire and security rounds completed.",
                f"{keeper} on the bridge; lookout posted.",
                f"Watch changed, {keeper} in charge.",
                f"{keeper} relieved the watch. Deck and accommodation rounds completed.",
                f"{keeper} on watch. Navigation lights checked.",
            ])
            w(entry)
            if time == "1200":
                stations = f"{station} station{'s' if station != 1 else ''}"
                w(rng.choice([
                    "Noon: ship's clocks unchanged. Crew and science party well.",
                    "Noon: no defects reported. Medical log: nothing to report.",
                ] + ([f"Noon: day's run {round(speed * 24 * 0.45)} nm. All crew well.",
                      f"Noon summary: {stations} worked so far on this voyage."] if phase == "survey" else [])))
            events: list[tuple[int, str]] = []  # (minutes after the watch began, text)

            def at(text: str) -> None:
                events.append((rng.below(228) + 6, text))

            if phase == "survey":
                if rng.chance(0.55):
                    station += 1
                    depth = 90 + rng.below(310)
                    at(rng.choice([
                        f"Hove to at station BB-{station:03d}. CTD cast to {depth} m; bottle samples taken at "
                        f"{3 + rng.below(6)} depths. Recovered safely.",
                        f"Station BB-{station:03d}: CTD deployed to {depth} m, {CREW['scientist']} reports good "
                        f"profiles. Under way again.",
                        f"Arrived at station BB-{station:03d}, depth {depth + 12} m. CTD and plankton net "
                        f"(200 micron) deployed and recovered without incident.",
                        f"Station BB-{station:03d} worked: CTD to {depth} m, then a vertical net haul. Science "
                        f"party processing samples in the wet lab.",
                    ]))
                if rng.chance(0.3):
                    line_no += 1
                    at(rng.choice([
                        f"Multibeam survey line L-{line_no:02d} started; steering {rng.below(360):03d}° at 6 kn.",
                        f"Completed survey line L-{line_no:02d}. Turned onto the next line.",
                        f"Survey line L-{line_no:02d} interrupted by a fishing vessel working gear on the line; "
                        f"line re-run after she cleared.",
                    ]))
            if rng.chance(0.22):
                at("Sighted " + rng.choice(SPECIES).format(n=3 + rng.below(30)) + ". Logged for the science party.")
            if rng.chance(0.15):
                cables, vessel = 4 + rng.below(30), rng.choice(VESSELS)
                Vessel = vessel[0].upper() + vessel[1:]
                at(rng.choice([
                    f"{Vessel} passed {cables} cables off to port; no action needed.",
                    f"Called the {vessel} on VHF 16 to agree a passing; passed {cables} cables clear.",
                    f"{Vessel} on radar, {cables / 10:.1f} nm, CPA clear. Monitored until out of range.",
                ]))
            if time == "0800" and rng.chance(0.5):
                at(rng.choice([
                    f"{CREW['ce']} reports the fresh water generator made {9 + rng.below(8)} tonnes overnight.",
                    f"Engine room: purifier cleaned; No. {1 + rng.below(3)} generator on load, "
                    f"{180 + rng.below(120)} kW.",
                    f"Fuel soundings taken: {140 - voyage_day * 2 + rng.below(5)} m³ remaining, consumption as "
                    f"planned.",
                    f"{CREW['bosun']} and deck crew chipping and painting on the aft deck.",
                    "Galley reports fresh bread baked; stores checked, all in order.",
                    f"Ballast adjusted: {rng.below(40) + 10} tonnes transferred to trim the vessel by the stern.",
                ]))
            if time == "1200" and voyage_day % 7 == 4:
                at(rng.choice([
                    "Fire drill held: simulated fire in the paint store. Mustered in 4 minutes, hoses run out, "
                    "drill satisfactory.",
                    "Abandon ship drill: all hands mustered at the boat stations with lifejackets; lifeboat "
                    "engine run for 3 minutes.",
                    "Man overboard drill: dummy recovered with the rescue boat in 9 minutes.",
                ]))
            if force >= 6 and rng.chance(0.5):
                at(rng.choice([
                    "Weather deteriorating; over-side work suspended. Loose gear secured on deck.",
                    "Heavy rolling; science party advised to secure equipment in the labs.",
                    "Reduced speed for the sea; spray over the foredeck.",
                ]))
            if voyage_day == needle_day and time == "1200":
                at(NEEDLE)
            hour = int(time[:2])
            for minutes, text in sorted(events, key=lambda e: e[0]):
                w(f"{hour + minutes // 60:02d}{minutes % 60:02d} {text}")
        if phase == "home":
            w("1420 Pilot on board off the north breakwater.")
            w("1506 All fast alongside, Haldervik, port side to. Finished with engines.")
        w("")
    w("=== End of voyage ===")
    w(f"Log closed by {CREW['master']}, Master.")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------------------------
# examples.json and README.md

def examples_meta() -> list[dict]:
    return [
        {
            "id": "pump-manual",
            "title": {"en": "Long manual: pump torque value", "zh": "长篇手册：水泵扭矩值"},
            "files": [MANUAL_FILE],
            "question": {
                "en": "When reassembling the QM-620 pump, to what torque must the impeller lock nut be tightened?",
                "zh": "重新装配 QM-620 水泵时，叶轮锁紧螺母应拧紧到多大扭矩？",
            },
            "answer": {
                "en": "94 N·m, with a calibrated torque wrench, holding the shaft with the QT-11 coupling spanner "
                      "(the nut has a left-hand thread and gets a new tab washer); section 11.7, step 6.",
                "zh": "94 N·m。用经过校准的扭矩扳手拧紧，同时用 QT-11 联轴器扳手固定轴（该螺母为左旋螺纹，需换用新的"
                      "止动垫圈）；见手册第 11.7 节第 6 步。",
            },
            "evidence": MANUAL_FACT,
        },
        {
            "id": "supply-contract",
            "title": {"en": "Chinese contract: second payment", "zh": "中文合同：第二期付款"},
            "files": [CONTRACT_FILE],
            "question": {
                "en": "According to the contract, how much is the second instalment, and by what date must it be "
                      "paid?",
                "zh": "根据合同，第二期付款的金额是多少？最迟应在哪一天之前支付？",
            },
            "answer": {
                "en": "RMB 1,275,600.00 (30% of the contract price of RMB 4,252,000.00), payable once the "
                      "equipment has arrived and passed the unpacking inspection, by 15 September 2025 at the "
                      "latest (payment schedule in clause 3).",
                "zh": "人民币 1,275,600.00 元（合同总价 4,252,000.00 元的 30%），在设备运抵甲方厂区并经开箱验收合格后"
                      "支付，最迟付款日期为 2025 年 9 月 15 日（见第三条付款计划表）。",
            },
            "evidence": CONTRACT_EVIDENCE,
        },
        {
            "id": "planning-day",
            "title": {"en": "Three documents: lunch cost", "zh": "三份文件：午餐费用"},
            "files": SET_FILES,
            "question": {
                "en": "What will the planning-day lunch cost in total, for the package and number of people "
                      "agreed in the meeting, at Brightfield Kitchen's new prices?",
                "zh": "按会议上确定的套餐和人数，以及 Brightfield Kitchen 的新价目表，规划日午餐一共要花多少钱？",
            },
            "answer": {
                "en": "EUR 426.40: the meeting notes chose the Garden Lunch for 26 people (22 staff and 4 guests), "
                      "and the new price list charges EUR 16.40 per person; 26 × 16.40 = 426.40, with free "
                      "delivery because the order is over EUR 300 (the old EUR 14.20 in the email no longer "
                      "applies).",
                "zh": "426.40 欧元：会议纪要确定订 Garden Lunch 套餐、共 26 人（22 名员工加 4 位客人），新价目表上该"
                      "套餐每人 16.40 欧元，26 × 16.40 = 426.40 欧元；订单超过 300 欧元，免运费（邮件里提到的旧价 "
                      "14.20 欧元已不适用）。",
            },
            "evidence": GARDEN_ROW,
        },
        {
            "id": "ship-log",
            "title": {"en": "Needle in a haystack: ship's log", "zh": "大海捞针：航海日志"},
            "files": [LOG_FILE],
            "question": {
                "en": "What new access code was set for the electronic key cabinet in the chart room?",
                "zh": "海图室电子钥匙柜设置的新访问码是什么？",
            },
            "answer": {
                "en": f"{NEEDLE_CODE} (set by Chief Officer Tollefsen after replacing the cabinet's battery; "
                      f"day 19 of the log).",
                "zh": f"{NEEDLE_CODE}（大副 Tollefsen 更换钥匙柜电池后设置，记在日志第 19 天）。",
            },
            "evidence": NEEDLE,
        },
    ]


def readme(meta: list[dict], sizes: dict[str, int]) -> str:
    q = {ex["id"]: ex["question"] for ex in meta}
    return f"""# Built-in examples

These documents were written for glyph-web; `scripts/make_examples.py` generates them, deterministically (running
it again gives the same bytes). Every company, person, product, vessel and place in them is fictional. They are
free to use, copy and change for any purpose, without attribution. The app shows one button per example: a click
loads the document and puts the question in the question box. `examples.json` holds the titles, questions,
expected answers (English and Chinese) and, for each, the passage of the document that holds the answer.

**Long manual: pump torque value** (`{MANUAL_FILE}`, {sizes[MANUAL_FILE]:,} characters, tens of pages). An
installation, operation and maintenance manual of a fictional multistage pump: specifications, parameters,
procedures, troubleshooting, an error-code table, a maintenance schedule, a glossary. It shows that Glyph finds
one precise fact deep in a long document. Question: "{q["pump-manual"]["en"]}" / {q["pump-manual"]["zh"]}
Expected answer: 94 N·m (section 11.7, step 6; the torque table deliberately only points there).

**Chinese contract: second payment** (`{CONTRACT_FILE}`). A Simplified Chinese purchase and
installation contract (Word file) with 16 numbered clauses and two real Word tables. It shows Chinese text and
tables read from .docx. Question: {q["supply-contract"]["zh"]} / "{q["supply-contract"]["en"]}"
Expected answer: 人民币 1,275,600.00 元（合同总价的 30%），最迟于 2025 年 9 月 15 日前支付 (RMB 1,275,600.00, by
15 September 2025), from the payment table in clause 3 (第三条).

**Three documents: lunch cost** (`planning_day/`: an email, meeting notes and a price list). It shows a question
that no single file answers: the meeting notes give the package (Garden Lunch) and the headcount (26), the price
list gives the price (EUR 16.40 per person), and the email warns against an outdated price. Question:
"{q["planning-day"]["en"]}" / {q["planning-day"]["zh"]} Expected answer: EUR 426.40 (26 × 16.40, delivery
free).

**Needle in a haystack: ship's log** (`{LOG_FILE}`, {sizes[LOG_FILE]:,} characters). Seven weeks of deck
log entries of a fictional research vessel (positions, weather, stations, sightings, drills), with one sentence
that matters. It shows that Glyph reads every page rather than skimming. Question: "{q["ship-log"]["en"]}" /
{q["ship-log"]["zh"]} Expected answer: {NEEDLE_CODE}.

To regenerate: `python scripts/make_examples.py [OUTPUT_DIR]` (default `assets/examples`).
"""


# ---------------------------------------------------------------------------------------------------------------


def build() -> dict[str, bytes]:
    """Every file of assets/examples, by path relative to it."""
    manual = manual_text()
    once(manual, MANUAL_FACT, "manual")
    once(manual, MANUAL_VALUE, "manual")
    if manual.index(MANUAL_FACT) < len(manual) // 2:
        raise AssertionError("the manual's fact must lie past the middle of the document")
    if len(manual) < 150_000:
        raise AssertionError(f"the manual has {len(manual):,} characters, fewer than 150,000")

    log = log_text()
    once(log, NEEDLE, "ship's log")
    once(log, NEEDLE_CODE, "ship's log")
    if len(log) < 60_000:
        raise AssertionError(f"the ship's log has {len(log):,} characters, fewer than 60,000")

    once(PRICE_LIST, GARDEN_ROW, "price list")
    files: dict[str, bytes] = {
        MANUAL_FILE: manual.encode("utf-8"),
        CONTRACT_FILE: contract_docx(),
        SET_FILES[0]: EMAIL.encode("utf-8"),
        SET_FILES[1]: NOTES.encode("utf-8"),
        SET_FILES[2]: PRICE_LIST.encode("utf-8"),
        LOG_FILE: log.encode("utf-8"),
    }
    meta = examples_meta()
    files["examples.json"] = (json.dumps(meta, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    files["README.md"] = readme(meta, {MANUAL_FILE: len(manual), LOG_FILE: len(log)}).encode("utf-8")
    return files


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Write the built-in example documents (deterministically).")
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT,
                        help="output folder (default: assets/examples in this checkout)")
    args = parser.parse_args(argv)
    for name, data in build().items():
        path = args.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"{path}  {len(data):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
