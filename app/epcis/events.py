"""The five EPCIS 2.0 event types (and extension events), with the parts they share: what, where,
why, sensors and error declarations."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from app.epcis.fields import (
    BizStep,
    BizTransactionType,
    Component,
    Context,
    Disposition,
    EpcList,
    ErrorReason,
    ExtensibleModel,
    Ilmd,
    MeasurementType,
    Number,
    OpenModel,
    SensorAlert,
    SourceDestType,
    StrictModel,
    Time,
    TzOffset,
    Uri,
    certification,
    unique,
)


class QuantityElement(StrictModel):
    epcClass: Uri
    quantity: Number | None = None
    uom: Annotated[str, Field(pattern=r"^[A-Z0-9]{2,3}$")] | None = None


class Place(OpenModel):
    id: Uri


class BizTransaction(StrictModel):
    type: BizTransactionType | None = None
    bizTransaction: Uri


class Source(StrictModel):
    type: SourceDestType
    source: Uri


class Destination(StrictModel):
    type: SourceDestType
    destination: Uri


class PersistentDisposition(StrictModel):
    set: Annotated[list[Disposition], Field(min_length=1)] | None = None
    unset: Annotated[list[Disposition], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _some(self) -> PersistentDisposition:
        if self.set is None and self.unset is None:
            raise ValueError("persistentDisposition needs set or unset")
        for values in (self.set, self.unset):
            unique(values or [])
        return self


class ErrorDeclaration(ExtensibleModel):
    declarationTime: Time
    reason: ErrorReason | None = None
    correctiveEventIDs: list[Uri] | None = None


class SensorMetadata(ExtensibleModel):
    time: Time | None = None
    deviceID: Uri | None = None
    deviceMetadata: Uri | None = None
    rawData: Uri | None = None
    startTime: Time | None = None
    endTime: Time | None = None
    dataProcessingMethod: Uri | None = None
    bizRules: Uri | None = None


class SensorReport(ExtensibleModel):
    type: MeasurementType | None = None
    exception: SensorAlert | None = None
    deviceID: Uri | None = None
    deviceMetadata: Uri | None = None
    rawData: Uri | None = None
    dataProcessingMethod: Uri | None = None
    bizRules: Uri | None = None
    time: Time | None = None
    microorganism: Uri | None = None
    chemicalSubstance: Uri | None = None
    coordinateReferenceSystem: Uri | None = None
    value: Number | None = None
    component: Component | None = None
    stringValue: str | None = None
    booleanValue: bool | None = None
    hexBinaryValue: Annotated[str, Field(pattern=r"^[A-Fa-f0-9]+$")] | None = None
    uriValue: Uri | None = None
    minValue: Number | None = None
    maxValue: Number | None = None
    meanValue: Number | None = None
    sDev: Number | None = None
    percRank: Number | None = None
    percValue: Number | None = None
    uom: str | None = None


class SensorElement(ExtensibleModel):
    sensorMetadata: SensorMetadata | None = None
    sensorReport: Annotated[list[SensorReport], Field(min_length=1)]


class _Event(ExtensibleModel):
    """The members every event has: when it happened, its identity, and corrections."""

    context: Context | None = Field(default=None, alias="@context")
    eventTime: Time
    recordTime: Time | None = None
    eventTimeZoneOffset: TzOffset
    eventID: Uri | None = None
    certificationInfo: Annotated[str | list[str], BeforeValidator(certification)] | None = None
    errorDeclaration: ErrorDeclaration | None = None


class _WhereWhy(_Event):
    """Business step, disposition, places, transactions and sensor data, shared by the
    standard event types."""

    bizStep: BizStep | None = None
    disposition: Disposition | None = None
    persistentDisposition: PersistentDisposition | None = None
    readPoint: Place | None = None
    bizLocation: Place | None = None
    bizTransactionList: list[BizTransaction] | None = None
    sourceList: list[Source] | None = None
    destinationList: list[Destination] | None = None
    sensorElementList: list[SensorElement] | None = None


Action = Literal["OBSERVE", "ADD", "DELETE"]


class ObjectEvent(_WhereWhy):
    type: Literal["ObjectEvent"]
    action: Action
    epcList: EpcList | None = None
    quantityList: list[QuantityElement] | None = None
    ilmd: Ilmd | None = None

    @model_validator(mode="after")
    def _what(self) -> ObjectEvent:
        if not (
            self.epcList is not None
            or self.quantityList
            or (self.sensorElementList and self.readPoint is not None)
        ):
            raise ValueError(
                "an ObjectEvent names its objects: epcList or quantityList "
                "(or sensorElementList with a readPoint)"
            )
        if self.ilmd is not None and self.action != "ADD":
            raise ValueError("ilmd is only allowed when action is ADD")
        return self


class AggregationEvent(_WhereWhy):
    type: Literal["AggregationEvent"]
    action: Action
    parentID: Uri | None = None
    childEPCs: list[Uri] | None = None
    childQuantityList: list[QuantityElement] | None = None

    @model_validator(mode="after")
    def _children(self) -> AggregationEvent:
        if not (self.childEPCs or self.childQuantityList or self.action == "DELETE"):
            raise ValueError(
                f"an {self.type} with action {self.action} needs childEPCs or childQuantityList"
            )
        return self


class AssociationEvent(AggregationEvent):
    type: Literal["AssociationEvent"]  # type: ignore[assignment]
    parentID: Uri


class TransactionEvent(_WhereWhy):
    type: Literal["TransactionEvent"]
    action: Action
    bizTransactionList: Annotated[list[BizTransaction], Field(min_length=1)]
    parentID: Uri | None = None
    epcList: list[Uri] | None = None
    quantityList: list[QuantityElement] | None = None

    @model_validator(mode="after")
    def _what(self) -> TransactionEvent:
        if not (self.epcList is not None or self.quantityList or self.action == "DELETE"):
            raise ValueError("a TransactionEvent names its objects: epcList or quantityList")
        return self


class TransformationEvent(_WhereWhy):
    type: Literal["TransformationEvent"]
    inputEPCList: EpcList | None = None
    inputQuantityList: list[QuantityElement] | None = None
    outputEPCList: EpcList | None = None
    outputQuantityList: list[QuantityElement] | None = None
    transformationID: Uri | None = None
    ilmd: Ilmd | None = None

    @model_validator(mode="after")
    def _inputs_outputs(self) -> TransformationEvent:
        inputs = bool(self.inputEPCList or self.inputQuantityList)
        outputs = bool(self.outputEPCList or self.outputQuantityList)
        if not ((inputs and outputs) or ((inputs or outputs) and self.transformationID)):
            raise ValueError(
                "a TransformationEvent needs inputs and outputs, or a transformationID and "
                "inputs or outputs"
            )
        return self


class ExtendedEvent(_Event):
    """An event type of one's own, named by a URI; its members are its own business."""

    model_config = ConfigDict(extra="allow")
    type: Uri

    @model_validator(mode="after")
    def _namespaced_extensions(self) -> ExtendedEvent:
        return self
