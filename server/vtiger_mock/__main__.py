from vtiger_mock.cli import main

raise SystemExit(main())
