"""Dealers: capabilities and capacity, territories (区域保护), versioned agreements; who is responsible where."""
