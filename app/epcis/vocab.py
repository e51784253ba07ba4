"""The Core Business Vocabulary (CBV 2.0) words that EPCIS 2.0 JSON accepts bare, and the
spellings of the business steps that make a scan.

In EPCIS 2.0 JSON a standard value is written as its bare word (`"inspecting"`); anything else
must be a URI outside GS1's own namespaces. Readers converted from EPCIS 1.x XML still write
`urn:epcglobal:cbv:bizstep:inspecting`: the schema refuses that form, but we take it when the
word is a standard one, because it names exactly the same step.
"""

from __future__ import annotations

import re

BIZ_STEPS = frozenset(
    [
        "accepting",
        "arriving",
        "assembling",
        "collecting",
        "commissioning",
        "consigning",
        "creating_class_instance",
        "cycle_counting",
        "decommissioning",
        "departing",
        "destroying",
        "disassembling",
        "dispensing",
        "encoding",
        "entering_exiting",
        "holding",
        "inspecting",
        "installing",
        "killing",
        "loading",
        "other",
        "packing",
        "picking",
        "receiving",
        "removing",
        "repackaging",
        "repairing",
        "replacing",
        "reserving",
        "retail_selling",
        "shipping",
        "staging_outbound",
        "stock_taking",
        "stocking",
        "storing",
        "transporting",
        "unloading",
        "unpacking",
        "void_shipping",
        "sensor_reporting",
        "sampling",
    ]
)
DISPOSITIONS = frozenset(
    [
        "active",
        "container_closed",
        "damaged",
        "destroyed",
        "dispensed",
        "disposed",
        "encoded",
        "expired",
        "in_progress",
        "in_transit",
        "inactive",
        "no_pedigree_match",
        "non_sellable_other",
        "partially_dispensed",
        "recalled",
        "reserved",
        "retail_sold",
        "returned",
        "sellable_accessible",
        "sellable_not_accessible",
        "stolen",
        "unknown",
        "available",
        "completeness_verified",
        "completeness_inferred",
        "conformant",
        "container_open",
        "mismatch_instance",
        "mismatch_class",
        "mismatch_quantity",
        "needs_replacement",
        "non_conformant",
        "unavailable",
    ]
)
BIZ_TRANSACTION_TYPES = frozenset(
    [
        "bol",
        "cert",
        "desadv",
        "inv",
        "pedigree",
        "po",
        "poc",
        "prodorder",
        "recadv",
        "rma",
        "testprd",
        "testres",
        "upevt",
    ]
)
SOURCE_DEST_TYPES = frozenset({"owning_party", "possessing_party", "location"})
ERROR_REASONS = frozenset({"did_not_occur", "incorrect_data"})
SENSOR_ALERTS = frozenset({"ALARM_CONDITION", "ERROR_CONDITION"})
COMPONENTS = frozenset(
    [
        "x",
        "y",
        "z",
        "axial_distance",
        "azimuth",
        "height",
        "spherical_radius",
        "polar_angle",
        "elevation_angle",
        "easting",
        "northing",
        "latitude",
        "longitude",
        "altitude",
    ]
)
MEASUREMENT_TYPES = frozenset(
    [
        "AbsoluteHumidity",
        "AbsorbedDose",
        "AbsorbedDoseRate",
        "Acceleration",
        "Radioactivity",
        "Altitude",
        "AmountOfSubstance",
        "AmountOfSubstancePerUnitVolume",
        "Angle",
        "AngularAcceleration",
        "AngularMomentum",
        "AngularVelocity",
        "Area",
        "Capacitance",
        "Conductance",
        "Conductivity",
        "Count",
        "Density",
        "Dimensionless",
        "DoseEquivalent",
        "DoseEquivalentRate",
        "DynamicViscosity",
        "ElectricCharge",
        "ElectricCurrent",
        "ElectricCurrentDensity",
        "ElectricFieldStrength",
        "Energy",
        "Exposure",
        "Force",
        "Frequency",
        "Illuminance",
        "Inductance",
        "Irradiance",
        "KinematicViscosity",
        "Length",
        "LinearMomentum",
        "Luminance",
        "LuminousFlux",
        "LuminousIntensity",
        "MagneticFlux",
        "MagneticFluxDensity",
        "MagneticVectorPotential",
        "Mass",
        "MassConcentration",
        "MassFlowRate",
        "MassPerAreaTime",
        "MemoryCapacity",
        "MolalityOfSolute",
        "MolarEnergy",
        "MolarMass",
        "MolarVolume",
        "Power",
        "Pressure",
        "RadiantFlux",
        "RadiantIntensity",
        "RelativeHumidity",
        "Resistance",
        "Resistivity",
        "SolidAngle",
        "SpecificVolume",
        "Speed",
        "SurfaceDensity",
        "SurfaceTension",
        "Temperature",
        "Time",
        "Torque",
        "Voltage",
        "Volume",
        "VolumeFlowRate",
        "VolumeFraction",
        "VolumetricFlux",
        "Wavenumber",
        # Written by current EPCIS tools (openepcis), though missing from the 2.0.0 schema.
        "EffectiveDoseRate",
        "Molar_concentration",
    ]
)

# URIs in GS1's own namespaces may not stand in for a CBV word (the schema's "other URI").
GS1_CBV_NAMESPACE = re.compile(r"^(urn:epcglobal:cbv|https?://ns\.gs1\.org/cbv/)")
# Sensor types and alerts may be any URI except GS1 Web Vocabulary terms.
GS1_WEB_VOC = re.compile(r"^https?://(www\.)?gs1\.org/voc/")

# The four business steps that put a carton in front of an inspector's reader.
SCAN_STEPS = frozenset({"inspecting", "receiving", "arriving", "shipping"})
_STEP_SPELLINGS = (
    re.compile(r"^urn:epcglobal:cbv:bizstep:([a-z_]+)$"),
    re.compile(r"^https?://ref\.gs1\.org/cbv/BizStep-([a-z_]+)$"),
    re.compile(r"^cbv:BizStep-([a-z_]+)$"),
)
XML_FORM = {
    "bizStep": re.compile(r"^urn:epcglobal:cbv:bizstep:([a-z_]+)$"),
    "disposition": re.compile(r"^urn:epcglobal:cbv:disp:([a-z_]+)$"),
}


def standard_step(biz_step: str | None) -> str | None:
    """The CBV word a bizStep names in any of its spellings, or None for a private step."""
    if biz_step is None:
        return None
    if biz_step in BIZ_STEPS:
        return biz_step
    for spelling in _STEP_SPELLINGS:
        m = spelling.match(biz_step)
        if m and m[1] in BIZ_STEPS:
            return m[1]
    return None
