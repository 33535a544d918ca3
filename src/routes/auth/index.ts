import { createRouter } from "../../lib/create-router.ts";
import { loginHandler, loginRoute } from "./login.ts";
import { logoutHandler, logoutRoute } from "./logout.ts";
import { meHandler, meRoute } from "./me.ts";
import { oauthHandler, oauthRoute } from "./oauth.ts";
import { refreshHandler, refreshRoute } from "./refresh.ts";
import { registerHandler, registerRoute } from "./register.ts";

export const authRouter = createRouter()
  .openapi(registerRoute, registerHandler)
  .openapi(loginRoute, loginHandler)
  .openapi(refreshRoute, refreshHandler)
  .openapi(logoutRoute, logoutHandler)
  .openapi(meRoute, meHandler)
  .openapi(oauthRoute, oauthHandler);
