from services.router.main import run

run()
