"""vtiger-mock: an emulator of the Vtiger CRM webservice (/webservice.php)."""

__version__ = "0.1.0"
